"""llmzh: pick, size and download open-source Chinese LLMs that fit your hardware."""

__version__ = "0.1.0"
