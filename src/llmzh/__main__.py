from llmzh.cli import main

main()
