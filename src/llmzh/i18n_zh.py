# ruff: noqa: E501 - a translation table reads best one message a line
"""Chinese for the messages and help texts, which the code writes in English: one table, loaded only under zh.

Messages are matched whole against templates whose `{name}` parts take any text (itself translated in turn, so a
reason inside a sentence comes out in Chinese too). A message no template covers is split at "; " and its parts
translated one by one; what still matches nothing stays as written (tests/test_ux.py looks for such leaks).
"""

from __future__ import annotations

import re
from functools import cache

# English template -> Chinese template; the {names} must be the same on both sides.
MESSAGES: dict[str, str] = {
    # names and lookup
    "NAME is empty": "NAME 为空",
    "give a catalog name (llmzh list) or a Hub repo id owner/name": "请给出目录中的名称（llmzh list）或 Hub 仓库 ID owner/name",
    "give a catalog name (llmzh list) or owner/name": "请给出目录中的名称（llmzh list）或 owner/name",
    "{name} is not a model name": "{name} 不是模型名称",
    "{name} is not a model page on huggingface.co, hf-mirror.com or modelscope.cn": (
        "{name} 不是 huggingface.co、hf-mirror.com 或 modelscope.cn 上的模型页面"
    ),
    "paste a model page such as {url}, or give owner/name": "请粘贴模型页面地址（如 {url}），或给出 owner/name",
    "{name} is neither a catalog name nor a Hub repo id": "{name} 既不是目录中的名称，也不是 Hub 仓库 ID",
    "a repo id is owner/name (letters, digits, '-', '_', '.'), e.g. {example}": (
        "仓库 ID 形如 owner/name（字母、数字、'-'、'_'、'.'），例如 {example}"
    ),
    "no project, model or variant named {name} in the catalog": "目录中没有名为 {name} 的项目、模型或版本",
    "did you mean {ids}?": "您是不是要找：{ids}？",
    "run `llmzh list` to see every model": "运行 `llmzh list` 查看全部模型",
    "{name} is ambiguous: {ids}": "{name} 有歧义，可能是：{ids}",
    "{id} (project)": "{id}（项目）",
    "{id} (model)": "{id}（模型）",
    "{id} (variant)": "{id}（版本）",
    "use one of these ids": "请使用其中一个 ID",
    "{name} matches {n} catalog entries; `llmzh show ID` shows one card": (
        "{name} 对应目录中的 {n} 个条目；用 `llmzh show ID` 查看其中一个的完整信息"
    ),
    "{repo} is not in the catalog": "{repo} 不在目录中",
    "llmzh estimate and llmzh download take any Hub repo": "llmzh estimate 和 llmzh download 接受任意 Hub 仓库",
    "{repo} is not in the catalog: live Hub figures and an estimate from its config.json": (
        "{repo} 不在目录中：以下为 Hub 实时数据，以及按其 config.json 的显存估算"
    ),
    "{repo} is not in the catalog, and the Hub has no such repo": "{repo} 不在目录中，Hub 上也没有这个仓库",
    "check the spelling": "请检查拼写",
    "no estimate: {reason}": "无法估算：{reason}",
    "{project} has {n} models; estimate one of them: {ids}": "{project} 有 {n} 个模型，请指定其中一个：{ids}",
    "{project} has {n} models; name one": "{project} 有 {n} 个模型，请指定其中一个",
    # options
    "{option}: expected a number of GB such as 8 or 8GB, got {value}": "{option}：应为 GB 数（如 8 或 8GB），收到 {value}",
    "{option}: must be a positive number of GB, got {value}": "{option}：必须是正数（GB），收到 {value}",
    "--quant: unknown level {value}; expected one of: {levels}": "--quant：未知的量化级别 {value}；可选：{levels}",
    "--cpu lists CPU inference; use --ram GB with it, not --vram": "--cpu 列出 CPU 推理；请配合 --ram GB 使用，而不是 --vram",
    "--quant was given {n} times ({levels}); a download takes one level": "--quant 给了 {n} 次（{levels}）；一次下载只取一个级别",
    "run llmzh download once per level": "每个级别分别运行一次 llmzh download",
    "unknown level {level} for --quant": "--quant 的级别 {level} 未知",
    "{owner} has: {levels}": "{owner} 提供：{levels}",
    "{owner} has no {level} variant": "{owner} 没有 {level} 版本",
    "{owner} has several {level} variants: {levels}": "{owner} 有多个 {level} 版本：{levels}",
    "pick one with --quant LEVEL": "请用 --quant LEVEL 指定其一",
    "it has: {levels}": "它提供：{levels}",
    "--quant picks a variant of a catalog model, not of a Hub repo": "--quant 用于选择目录中模型的版本，不适用于 Hub 仓库",
    "give the variant's own repo id, or a catalog name (llmzh list)": "请给出该版本自己的仓库 ID，或目录中的名称（llmzh list）",
    "{variant} is the {level} variant; --quant {quant} contradicts it": "{variant} 是 {level} 版本，与 --quant {quant} 矛盾",
    "drop --quant, or name the model: {model}": "去掉 --quant，或改用模型名：{model}",
    "the prompt ({prompt}) cannot be longer than the context ({ctx})": "提示长度（{prompt}）不能超过上下文长度（{ctx}）",
    # the command-line parser's own errors
    "No such option: {opt}": "没有这个选项：{opt}",
    "No such option: {opt} Did you mean {alt}?": "没有这个选项：{opt}，您是不是要用 {alt}？",
    "No such option: {opt} (Possible options: {alts})": "没有这个选项：{opt}（可能是：{alts}）",
    "Got unexpected extra argument(s) ({args})": "多余的参数（{args}）",
    "{value} is not a valid int range.": "{value} 不是有效的整数。",
    "{value} is not a valid float range.": "{value} 不是有效的数字。",
    "No such command '{cmd}'.": "没有命令 {cmd}。",
    "Missing command.": "缺少命令。",
    "Missing argument '{arg}'.": "缺少参数 {arg}。",
    "Missing option '{opt}'.": "缺少选项 {opt}。",
    "Option '{opt}' requires an argument.": "选项 {opt} 需要一个值。",
    "Invalid value for '{opt}': {reason}": "{opt} 的值无效：{reason}",
    "{value} is not one of {choices}.": "{value} 不是可选值之一：{choices}。",
    "{value} is not a valid integer.": "{value} 不是有效的整数。",
    "{value} is not a valid float.": "{value} 不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    # list / recommend
    "Nothing fits {gb} GB of VRAM; the smallest is {id} at {need} GB.": "{gb} GB 显存放不下任何模型；最小的是 {id}，需 {need} GB。",
    "Nothing fits {gb} GB of RAM; the smallest is {id} at {need} GB.": "{gb} GB 内存放不下任何模型；最小的是 {id}，需 {need} GB。",
    "Nothing fits {gb} GB of VRAM for fine-tuning; the smallest is {id} at {need} GB.": (
        "{gb} GB 显存不够微调任何模型；最小的是 {id}，需 {need} GB。"
    ),
    "No models match these filters.": "没有满足这些条件的模型。",
    "No models match these filters. ({n} with an unknown figure: --include-unknown)": (
        "没有满足这些条件的模型。（另有 {n} 个数值未知：--include-unknown）"
    ),
    "No model in the catalog fits {what} at a {ctx}-token context.": "目录中没有模型能在 {ctx} token 上下文下放入 {what}。",
    "No model in the catalog passes {filters}, whatever the memory.": "无论内存多少，目录中都没有满足 {filters} 的模型。",
    "Models fit {what} at a {ctx}-token context, but none of those that pass {filters} (their memory is larger or unknown).": (
        "有模型能在 {ctx} token 上下文下放入 {what}，但满足 {filters} 的模型都放不下（所需内存更大或未知）。"
    ),
    "No model in the catalog fits {what} at a {ctx}-token context, even without {filters}.": (
        "即使不加 {filters}，目录中也没有模型能在 {ctx} token 上下文下放入 {what}。"
    ),
    "{gb} GB of GPU memory": "{gb} GB 显存",
    "{gb} GB of RAM": "{gb} GB 内存",
    # hardware
    "No GPU detected ({reason}); using CPU fits within {gb} GB of RAM.": "未检测到 GPU（{reason}）；按 {gb} GB 内存判断 CPU 推理。",
    "No GPU detected; using CPU fits within {gb} GB of RAM.": "未检测到 GPU；按 {gb} GB 内存判断 CPU 推理。",
    "Detected {gpu}: {free} GB free of {total} GB.": "检测到 {gpu}：共 {total} GB，空闲 {free} GB。",
    "Detected {gpu}: {free} GB free of {total} GB (the GPU's share of unified memory).": (
        "检测到 {gpu}：共 {total} GB，空闲 {free} GB（统一内存中 GPU 可用的部分）。"
    ),
    "NVIDIA: {reason}": "NVIDIA：{reason}",
    "Apple Silicon: {reason}": "Apple Silicon：{reason}",
    "no NVIDIA driver ({detail})": "没有 NVIDIA 驱动（{detail}）",
    "NVIDIA driver error ({detail})": "NVIDIA 驱动错误（{detail}）",
    "nvidia-ml-py is not installed": "未安装 nvidia-ml-py",
    "cannot read system RAM: {reason}": "无法读取系统内存：{reason}",
    # hub
    "Hub: {n} repo(s) without fresh figures: {reasons}": "Hub：{n} 个仓库没有取到最新数据：{reasons}",
    "Hub: {n} repo(s) without fresh figures: {reasons} — showing {m} from the cache (stale)": (
        "Hub：{n} 个仓库没有取到最新数据：{reasons}——其中 {m} 个显示缓存（已过期）"
    ),
    "ModelScope: {n} repo(s) without fresh figures: {reasons}": "ModelScope：{n} 个仓库没有取到最新数据：{reasons}",
    "ModelScope: {n} repo(s) without fresh figures: {reasons} — showing {m} from the cache (stale)": (
        "ModelScope：{n} 个仓库没有取到最新数据：{reasons}——其中 {m} 个显示缓存（已过期）"
    ),
    "retry later, check MODELSCOPE_ENDPOINT, or drop --strict": "稍后重试，检查 MODELSCOPE_ENDPOINT，或去掉 --strict",
    "{summary}; cells it could not fill show —": "{summary}；未能获取的单元格显示为 —",
    "{host} did not answer within {s} s": "{host} 在 {s} 秒内没有响应",
    "cannot reach {host} ({reason})": "无法连接 {host}（{reason}）",
    "rate limited by {host} (HTTP 429)": "被 {host} 限流（HTTP 429）",
    "access denied by {host} (HTTP {status}); check HF_TOKEN / --token": "{host} 拒绝访问（HTTP {status}）；请检查 HF_TOKEN / --token",
    "{host} answered HTTP {status}": "{host} 返回 HTTP {status}",
    "not found on the Hub (deleted, renamed, or private)": "Hub 上找不到（已删除、改名或私有）",
    "gated repo: request access on its Hub page, then pass your token with HF_TOKEN or --token": (
        "受限仓库：请先在其 Hub 页面申请访问，再用 HF_TOKEN 或 --token 提供 token"
    ),
    "revision not found": "找不到该版本",
    "offline mode (HF_HUB_OFFLINE) is on": "离线模式（HF_HUB_OFFLINE）已开启",
    "offline, and not in the cache": "离线，且缓存中没有",
    "offline mode (HF_HUB_OFFLINE) is on: nothing can be fetched": "离线模式（HF_HUB_OFFLINE）已开启：无法获取任何内容",
    "unset HF_HUB_OFFLINE": "请取消 HF_HUB_OFFLINE",
    "retry later, try --endpoint / --mirror, or drop --strict": "稍后重试，试试 --endpoint / --mirror，或去掉 --strict",
    "{host} does not answer like a Hugging Face Hub; check --endpoint / HF_ENDPOINT": (
        "{host} 的响应不像 Hugging Face Hub；请检查 --endpoint / HF_ENDPOINT"
    ),
    "file not found in the repo": "仓库中没有该文件",
    "{repo}: config.json is not in the cache and offline mode is on": "{repo}：缓存中没有 config.json，且处于离线模式",
    "{repo}: config.json is not valid JSON": "{repo}：config.json 不是合法的 JSON",
    "{repo}: config.json is not a JSON object": "{repo}：config.json 不是 JSON 对象",
    "unknown mirror {mirror}; known mirrors: {known}": "未知镜像 {mirror}；已知镜像：{known}",
    "or pass --endpoint URL": "或使用 --endpoint URL",
    "--mirror and --endpoint both choose the endpoint; give one of them": "--mirror 与 --endpoint 都用于指定地址，只能给一个",
    "endpoint {url} is not an http(s) URL": "地址 {url} 不是 http(s) URL",
    "e.g. --endpoint https://hf-mirror.com": "例如 --endpoint https://hf-mirror.com",
    "HTTP {status} in {ms} ms": "HTTP {status}，耗时 {ms} 毫秒",
    "offline mode: not tried": "离线模式：未尝试",
    # doctor
    "not set": "未设置",
    "stored login": "已保存的登录",
    "OK, {n} variants": "正常，共 {n} 个版本",
    "{n} problem(s): run `llmzh catalog check`": "{n} 个问题：请运行 `llmzh catalog check`",
    # download and verify
    "licence: {licence}": "许可：{licence}",
    "{repo} (base weights) @ {rev} ({commit}): {files}, {size}; {missing} to download": (
        "{repo}（基座权重）@ {rev}（{commit}）：{files}，{size}；需下载 {missing}"
    ),
    "{repo} (base weights) @ {rev} ({commit}): {files}, {size}; all present": (
        "{repo}（基座权重）@ {rev}（{commit}）：{files}，{size}；已全部存在"
    ),
    "{repo} @ {rev} ({commit}): {files}, {size}; {missing} to download": "{repo} @ {rev}（{commit}）：{files}，{size}；需下载 {missing}",
    "{repo} @ {rev} ({commit}): {files}, {size}; all present": "{repo} @ {rev}（{commit}）：{files}，{size}；已全部存在",
    "{n} file": "{n} 个文件",
    "{n} files": "{n} 个文件",
    "destination: the Hugging Face cache {path} ({free} free)": "保存位置：Hugging Face 缓存 {path}（剩余 {free}）",
    "destination: {path} ({free} free)": "保存位置：{path}（剩余 {free}）",
    "  {size}  {path} (present)": "  {size}  {path}（已存在）",
    "  {size}  {path} ({kept} kept)": "  {size}  {path}（已保留 {kept}）",
    "base weights {repo}: {files}, {size} in {path}": "基座权重 {repo}：{files}，{size}，位于 {path}",
    "{repo}: {files}, {size} in {path}": "{repo}：{files}，{size}，位于 {path}",
    "verified {files} of {where}: all match": "已校验 {where} 的 {files}：全部一致",
    "verified {files} of {where}: {bad} differ, {missing} missing": "已校验 {where} 的 {files}：{bad} 个不一致，{missing} 个缺失",
    "{repo} ({commit}) in {path}": "{repo}（{commit}），位于 {path}",
    "MISMATCH  {path}: {kind} {actual} differs from the Hub's {expected}": "不一致  {path}：{kind} {actual} 与 Hub 的 {expected} 不同",
    "MISSING   {path}": "缺失    {path}",
    "The disk does not hold what is still to download; the download would be refused.": "磁盘空间不足以容纳待下载的内容；实际下载会被拒绝。",
    "Interrupted: what arrived is kept; run the same command again to resume.": "已中断：已下载的部分会保留；再次运行同一命令即可续传。",
    "Interrupted.": "已中断。",
    "downloading": "下载中",
    "verifying": "校验中",
    "files do not match the Hub's checksums: {names}": "文件与 Hub 上的校验和不一致：{names}",
    "delete them and run `llmzh download` again, or run it with the same --include/--exclude": (
        "删除这些文件后重新运行 `llmzh download`，或使用相同的 --include/--exclude 运行"
    ),
    "{repo} ({rev}) is not in the Hugging Face cache {path}": "{repo}（{rev}）不在 Hugging Face 缓存 {path} 中",
    "download it first, or give --local-dir DIR for a plain copy": "请先下载，或用 --local-dir DIR 指定普通副本所在目录",
    "{repo} has no files at {rev}": "{repo} 在 {rev} 没有文件",
    "{repo} is not on {host}: deleted, renamed or private": "{host} 上没有 {repo}：已删除、改名或为私有仓库",
    "{repo} is not on {host}: deleted, renamed, private, or no revision {rev}": "{host} 上没有 {repo}：已删除、改名、为私有仓库，或没有版本 {rev}",
    "check the name at {url}; a private repo needs --token": "请在 {url} 核对名称；私有仓库需要 --token",
    "check the name at {url}; a private repo needs MODELSCOPE_API_TOKEN or --token": "请在 {url} 核对名称；私有仓库需要 MODELSCOPE_API_TOKEN 或 --token",
    "{repo} has no revision {rev}": "{repo} 没有版本 {rev}",
    "give a branch, tag or commit hash that exists (--revision; default: main)": "请给出存在的分支、标签或提交哈希（--revision；默认：main）",
    "{path} exists; the draft would overwrite it": "{path} 已存在；写入初稿会覆盖它",
    "choose another --output file": "请换一个 --output 文件",
    "no file of {repo} matches {given}": "{repo} 中没有文件匹配 {given}",
    "its files: {files}": "其文件：{files}",
    "not enough disk space in {path}: {missing} still to download, {free} free": "{path} 磁盘空间不足：还需下载 {missing}，剩余 {free}",
    "{what} is quantized at load time from the {repo} weights just fetched": "{what} 在加载时由刚下载的 {repo} 权重量化得到",
    "load it with: {code}": "加载代码：{code}",
    "{model} is {what}: it needs the base weights {base}": "{model} 是{what}：需要基座权重 {base}",
    "the catalog records {repo}": "目录记录的仓库为 {repo}",
    "the catalog records no Hub repo for them": "目录中没有记录其 Hub 仓库",
    "{repo} is gone from the Hub; alternatives in the catalog: {others}": "{repo} 已从 Hub 删除；目录中的替代仓库：{others}",
    "base weights {repo} are gone from the Hub; alternatives in the catalog: {others}": (
        "基座权重 {repo} 已从 Hub 删除；目录中的替代仓库：{others}"
    ),
    "none recorded": "无记录",
    "restore them: {how}": "恢复方法：{how}",
    "the project loads it with: {code}": "项目的加载代码：{code}",
    "combine them with: {code}": "合并方法：{code}",
    "{repo} is gone from the Hub, but the catalog lists it for {variant}": "{repo} 已从 Hub 删除，但目录仍将其列为 {variant} 的仓库",
    "{repo}: the Hub's licence tag is {tag}, the catalog expects {expected}": "{repo}：Hub 上的许可标签为 {tag}，目录记录的是 {expected}",
    "{repo}: the Hub counts {n}B parameters, the catalog says {m}B": "{repo}：Hub 统计的参数量为 {n}B，目录记录的是 {m}B",
    "a LoRA adapter": "LoRA 适配器",
    "delta weights": "差分权重",
    # catalog, export
    "{path}: {n} problem(s).": "{path}：{n} 个问题。",
    "{path}: OK — {p} projects, {m} models, {v} variants.": "{path}：正常——{p} 个项目，{m} 个模型，{v} 个版本。",
    "Wrote {path} ({n} lines).": "已写入 {path}（{n} 行）。",
    "{repo} is not a Hub repo id; give it as owner/name": "{repo} 不是 Hub 仓库 ID；请写成 owner/name",
    "Wrote {path}: complete it, then run `llmzh catalog check {path2}`.": "已写入 {path}：请补全后运行 `llmzh catalog check {path2}`。",
    "cannot write {path}: {reason}": "无法写入 {path}：{reason}",
    "{path}: catalog file not found": "{path}：找不到目录文件",
    "check --catalog / LLMZH_CATALOG, or unset them to use the built-in catalog": (
        "请检查 --catalog / LLMZH_CATALOG，或取消设置以使用内置目录"
    ),
    "fix the file, then check it with `llmzh catalog check {path}`": "请修正该文件，再用 `llmzh catalog check {path}` 检查",
    "run `llmzh catalog check {path}` to see every problem": "运行 `llmzh catalog check {path}` 查看全部问题",
    "{path}: malformed YAML: {reason}": "{path}：YAML 格式错误：{reason}",
    "{first} (and {n} more problems)": "{first}（另有 {n} 个问题）",
}


# Placeholders that only ever hold a number, so that "{n} file" does not match "no such file".
_NUMERIC = {"n", "m", "p", "v", "ctx", "status", "ms", "s", "bad"}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(p) if i % 2 == 0 else f"(?P<{p}>[0-9][0-9.,]*)" if p in _NUMERIC else f"(?P<{p}>.+?)"
        for i, p in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


@cache
def _table() -> list[tuple[re.Pattern[str], str]]:
    # Longest templates first: "Hub: … — showing {m} from the cache" before its shorter prefix.
    return [(_pattern(en), zh) for en, zh in sorted(MESSAGES.items(), key=lambda kv: -len(kv[0]))]


def translate(message: str, depth: int = 0) -> str:
    """The message in Chinese where the table covers it, its parts where it covers those, else as written."""
    if depth > 3 or not message:
        return message
    for pattern, zh in _table():
        match = pattern.match(message)
        if match is not None:
            values = {k: translate(v, depth + 1) for k, v in match.groupdict().items()}
            return zh.format(**values)
    for sep, zh_sep in (("; ", "；"), (": ", "：")):
        if sep in message:
            head, tail = message.split(sep, 1)
            if head and tail:
                parts = (translate(head, depth + 1), translate(tail, depth + 1))
                if parts != (head, tail):
                    return zh_sep.join(parts)
    return message


# Help texts: each paragraph (whitespace collapsed), option help, or the part of an example line after " — ".
HELP: dict[str, str] = {
    "Pick, size and download open-source Chinese LLMs that fit your hardware.": "挑选、估算并下载能在你的硬件上运行的开源中文大模型。",
    "挑选能在你的显卡上运行的开源中文大模型：显存、量化、许可，一目了然。": "显存、量化、许可，一目了然。",
    "Examples:": "示例：",
    "Show this message and exit.": "显示此帮助并退出。",
    "Install completion for the current shell.": "为当前 shell 安装命令补全。",
    "Show completion for the current shell, to copy it or customize the installation.": "显示当前 shell 的补全脚本，便于复制或自定义安装。",
    "Show the version and exit.": "显示版本并退出。",
    "Output language (also: LLMZH_LANG; default from the locale).": "输出语言（也可用 LLMZH_LANG；默认按系统语言环境）。",
    "Print JSON on stdout.": "在标准输出打印 JSON。",
    "Catalog file to read instead of the built-in one (also: LLMZH_CATALOG).": "使用指定的目录文件代替内置目录（也可用 LLMZH_CATALOG）。",
    "Hub endpoint, e.g. a mirror (default: HF_ENDPOINT, else https://huggingface.co).": "Hub 地址，如镜像（默认：HF_ENDPOINT，否则 https://huggingface.co）。",
    "Shortcut for a known mirror's endpoint: hf-mirror (https://hf-mirror.com).": "已知镜像地址的简写：hf-mirror（https://hf-mirror.com）。",
    "Hugging Face token for gated repos (default: HF_TOKEN). Never printed.": "访问受限仓库用的 Hugging Face token（默认：HF_TOKEN），从不打印。",
    "Give up on the Hub after this long (all requests together).": "访问 Hub 的总时限（所有请求合计），超时即放弃。",
    "No network: cached Hub figures only (also: HF_HUB_OFFLINE=1).": "不联网：只用缓存的 Hub 数据（也可用 HF_HUB_OFFLINE=1）。",
    "Fetch Hub figures even if cached less than 24 h ago.": "即使缓存不到 24 小时也重新获取 Hub 数据。",
    "Exit 1 if any Hub request fails.": "任何 Hub 请求失败时以退出码 1 结束。",
    "GPU memory in GB, or 'auto' to read this machine's GPUs (free memory counts).": "显存 GB 数（可写 8、8GB、8 GiB），或 auto 读取本机 GPU（按空闲显存）。",
    # doctor
    "Show the detected GPUs and RAM, the Hub and ModelScope endpoints and whether they answer, cache locations and sizes, whether a token is set for each (never its value), and the versions of the libraries involved.": (
        "显示检测到的 GPU 和内存、Hub 与 ModelScope 的地址及能否访问、缓存位置和大小、各自是否设置了 token（从不显示其值），以及相关库的版本。"
    ),
    "what llmzh sees on this machine": "llmzh 在本机看到的情况",
    "does the mirror answer from here?": "从这里能否访问镜像？",
    "the same as data, for a bug report (no token value is ever included)": "同样的内容输出为数据，便于报告问题（绝不包含 token 值）",
    # download / verify
    "Download a model's weights safely: the plan and a disk check first, then a resumable transfer.": "安全地下载模型权重：先给出计划并检查磁盘，再进行可续传的下载。",
    "Files go into the shared Hugging Face cache (reused by transformers) or, with --local-dir, into a folder. For a LoRA adapter or delta weights it says which base weights are needed and how to combine them. Every request goes to the chosen endpoint (--endpoint, --mirror or HF_ENDPOINT); the token never leaves it.": (
        "文件存入共享的 Hugging Face 缓存（transformers 可直接复用），或用 --local-dir 存入指定目录。对 LoRA 适配器或差分权重，会说明需要哪份基座权重以及如何合并。所有请求都发往所选地址（--endpoint、--mirror 或 HF_ENDPOINT），token 不会发往别处。"
    ),
    "the INT4 weights (THUDM/chatglm-6b-int4) into the Hugging Face cache": "INT4 权重（THUDM/chatglm-6b-int4）存入 Hugging Face 缓存",
    "INT8 is made at load time: fetches FP16, prints the line that quantizes": "INT8 在加载时量化：下载 FP16 权重，并打印量化代码",
    "a LoRA adapter and base weights": "LoRA 适配器及其基座权重",
    "any Hub repo, as a plain copy in a folder": "任意 Hub 仓库，以普通副本存入目录",
    "only some files": "只下载部分文件",
    "the plan: files, sizes, free space; nothing is written": "只看计划：文件、大小、剩余空间；不写入任何内容",
    "through https://hf-mirror.com (or set `HF_ENDPOINT`)": "通过 https://hf-mirror.com（或设置 `HF_ENDPOINT`）",
    "* Interrupted or cut off? Run the same command again: it resumes from the partial file.": "* 中断或断线？再次运行同一命令即可从已下载的部分续传。",
    "A catalog project, model or variant id (llmzh list), or a Hub repo id org/name.": "目录中的项目、模型或版本 ID（llmzh list），或 Hub 仓库 ID org/name，也可粘贴模型页面地址。",
    "Which variant of a catalog model: fp16, int8, int4, gptq-int4, ... (default: the first the catalog lists); one level per run.": (
        "选择目录中模型的哪个版本：fp16、int8、int4、gptq-int4 等（默认：目录列出的第一个）；每次只取一个级别。"
    ),
    "Branch, tag or commit (default: main).": "分支、标签或提交（默认：main）。",
    "A plain copy in DIR instead of the shared Hugging Face cache (where transformers looks).": "在 DIR 中保存普通副本，而不是共享的 Hugging Face 缓存（transformers 默认从缓存读取）。",
    "Only files matching this glob, e.g. '*.safetensors' (repeatable).": "只下载匹配该 glob 的文件，如 '*.safetensors'（可重复）。",
    "Skip files matching this glob (repeatable).": "跳过匹配该 glob 的文件（可重复）。",
    "Files fetched at once.": "同时下载的文件数。",
    "Print the plan (files, sizes, free space); write nothing.": "只打印计划（文件、大小、剩余空间），不写入任何内容。",
    "Download even if the disk check says it will not fit.": "即使磁盘检查认为空间不够也下载。",
    "For a LoRA adapter or delta weights: download the base weights too.": "对 LoRA 适配器或差分权重：同时下载基座权重。",
    "The base weights to download instead of the recorded repo (implies --with-base).": "改用该仓库作为基座权重（隐含 --with-base）。",
    "Then check every file's checksum against the Hub (exit 1 if any differ).": "下载后按 Hub 校验每个文件（有不一致则退出码为 1）。",
    "No progress bar and no plan on stderr.": "不显示进度条，也不在标准错误输出打印计划。",
    "Check downloaded files against the Hub: sha256 of every LFS file, git blob id of the others.": "按 Hub 校验已下载的文件：LFS 文件校验 sha256，其他文件校验 Git 对象哈希。",
    "Lists each file that differs or is missing, and exits 1 if any does.": "列出每个不一致或缺失的文件；若有则退出码为 1。",
    "the copy in the Hugging Face cache": "校验 Hugging Face 缓存中的副本",
    "a plain copy in a folder": "校验目录中的普通副本",
    "download, then verify": "下载后立即校验",
    "A catalog project, model or variant id, or a Hub repo id org/name.": "目录中的项目、模型或版本 ID，或 Hub 仓库 ID org/name。",
    # estimate
    "Estimate peak GPU memory as weights + KV cache + activations + overhead, from the model's architecture.": "按模型架构估算峰值显存：权重 + KV 缓存 + 激活 + 运行开销。",
    "The estimator reads each family's own config names (ChatGLM2/3 and GLM-4 multi-query groups, Qwen, Baichuan, InternLM, Yi, DeepSeek, BLOOM), models what the named runtime allocates, and is calibrated against the projects' published measurements (bench/estimate_accuracy.py). Published figures from the catalog are shown beside it.": (
        "估算器读取各模型家族自己的配置字段（ChatGLM2/3 与 GLM-4 的多查询分组、Qwen、Baichuan、InternLM、Yi、DeepSeek、BLOOM），模拟所选运行时的显存分配，并以各项目公布的实测值校准（bench/estimate_accuracy.py）。目录中的公布值并列显示。"
    ),
    "every level the catalog has, at a 2K context": "目录中的每个量化级别，2K 上下文",
    "will it fit an 8 GB card at 8K?": "8K 上下文能否放进 8 GB 显卡？",
    "a long document in one prompt": "一次输入一篇长文档",
    "any Hub repo (its config.json is fetched and cached)": "任意 Hub 仓库（获取并缓存其 config.json）",
    "fine-tuning memory (a rough estimate)": "微调显存（粗略估算）",
    "the parts in bytes": "各部分的字节数",
    "Memory is in GB of 2^30 bytes, as GPU tools and the projects' tables report it.": "显存单位 GB 为 2^30 字节，与 GPU 工具和各项目表格一致。",
    "A catalog model or variant (id or name), a Hub repo id or a pasted model page URL.": "目录中的模型或版本（ID 或名称）、Hub 仓库 ID，或粘贴的模型页面地址。",
    "Level to estimate (repeatable); default: the model's own.": "要估算的量化级别（可重复）；默认：该模型自有的级别。",
    "Tokens held in the KV cache (prompt + reply).": "KV 缓存中的 token 数（提示 + 回复）。",
    "Prefill length (default: --ctx).": "预填充长度（默认：--ctx）。",
    "Sequences at once.": "同时处理的序列数。",
    "transformers (>= 4.45), transformers-legacy (4.36-4.44: whole-prompt fp32 logits) or llama.cpp (default for GGUF levels).": (
        "transformers（>= 4.45）、transformers-legacy（4.36-4.44：整段提示的 fp32 logits）或 llama.cpp（GGUF 级别的默认值）。"
    ),
    "Estimate fine-tuning memory instead (rough).": "改为估算微调显存（粗略）。",
    "Training sequence length.": "训练序列长度。",
    # export
    "Export the whole catalog: the founding document's overview table extended to every model, and one section per project (Markdown), or every record with its sources (JSON).": (
        "导出整个目录：扩展到全部模型的创始文档总览表及每个项目一节（Markdown），或带出处的全部记录（JSON）。"
    ),
    "Markdown defaults to Chinese, like the founding document; --lang en writes English.": "Markdown 默认为中文（与创始文档一致）；--lang en 输出英文。",
    "regenerate the catalog document (Chinese by default)": "重新生成目录文档（默认中文）",
    "the same in English, on stdout": "英文版，输出到标准输出",
    "every record with its sources": "全部记录及其出处",
    "Document format.": "文档格式。",
    "Write here instead of stdout ('-').": "写入该文件，而不是标准输出（'-'）。",
    # list
    "List the models that fit your hardware: the most capable first, each at its best level that fits.": "列出能在你的硬件上运行的模型：能力最强的排在前面，每个模型取能放下的最佳量化级别。",
    "--all-levels shows every precision/quantization of each model; --json always has one object per variant. A variant whose memory figure is unknown is never shown as fitting.": (
        "--all-levels 显示每个模型的全部精度/量化版本；--json 始终每个版本一个对象。显存数值未知的版本从不算作能运行。"
    ),
    "what runs on a 6 GB card (inference), the most capable first": "6 GB 显卡上能跑什么（推理），能力最强的在前",
    "every level that fits, not only each model's best": "能放下的全部量化级别，而不只是每个模型的最佳级别",
    "what runs on this machine's GPU (or CPU, if it has none)": "本机 GPU 上能跑什么（没有 GPU 则按 CPU）",
    "what fits 8 GB with an 8K-token context (≈ marks estimates)": "8K 上下文下 8 GB 能放下什么（≈ 为估算值）",
    "what can be fine-tuned (parameter-efficient) on 8 GB": "8 GB 上能做哪些（参数高效）微调",
    "CPU inference within 16 GB of RAM": "16 GB 内存内的 CPU 推理",
    "4-bit variants (INT4, GPTQ, AWQ, NF4, Q4) you may use commercially": "可商用的 4 比特版本（INT4、GPTQ、AWQ、NF4、Q4）",
    "by name, description or base model": "按名称、简介或基座模型查找",
    "machine-readable rows (fields documented in the README)": "机器可读的行（字段见 README）",
    "the founding document's overview table": "创始文档格式的总览表",
    "with downloads, likes and sizes from the Hub (cached 24 h)": "附 Hub 上的下载量、点赞数和大小（缓存 24 小时）",
    "Apply --vram to parameter-efficient fine-tuning instead.": "将 --vram 用于参数高效微调而非推理。",
    "System RAM in GB: list what fits for CPU inference.": "系统内存 GB 数：列出能用 CPU 推理的模型。",
    "Only variants that run on the CPU.": "只列出能在 CPU 上运行的版本。",
    "Context to fit (prompt + reply); published figures taken at other lengths give way to estimates.": "要放下的上下文长度（提示 + 回复）；在其他长度下测得的公布值改用估算值。",
    "Quantization (repeatable): a family (int4 = 4bit, int8 = 8bit, gguf, q4, gptq, ...) or an exact level (gptq-int4, q4_k_m, ...; =int4 for ChatGLM's own INT4 only).": (
        "量化（可重复）：一类（int4 = 4bit、int8 = 8bit、gguf、q4、gptq 等）或具体级别（gptq-int4、q4_k_m 等；=int4 只选 ChatGLM 自己的 INT4）。"
    ),
    "Licence name contains this keyword (apache, gpl, ...).": "许可名称包含该关键词（apache、gpl 等）。",
    "Only weights licensed for commercial use (registration counted).": "只列出权重允许商用的模型（含登记后商用）。",
    "Base model contains this name (llama, bloom, ...).": "基座模型名称包含该词（llama、bloom 等）。",
    "Search zh/en names and descriptions.": "搜索中英文名称和简介。",
    "Sort order (default: the table puts the most capable model first, --json sorts by vram); downloads, likes and size imply --live.": (
        "排序方式（默认：表格按能力从强到弱，--json 按显存）；downloads、likes、size 隐含 --live。"
    ),
    "Every level of each model in the table, not only the best that fits.": "表格中列出每个模型的全部量化级别，而不只是能放下的最佳级别。",
    "Also list, separately, variants whose figure is unknown.": "另外单独列出数值未知的版本。",
    "More columns: params, context, scores, training data.": "更多列：参数量、上下文、评测分数、训练数据。",
    "Output format.": "输出格式。",
    "Add downloads, likes and sizes from the Hub.": "加上 Hub 上的下载量、点赞数和大小。",
    # recommend
    "Recommend the best models that fit: ranked by published C-Eval / CMMLU, then recency, then popularity.": "推荐能放下的最佳模型：按公布的 C-Eval / CMMLU 排序，其次是发布时间和热度。",
    "Each model appears once, at the highest-precision level that fits; a fit with little headroom is marked. Memory is the published figure where one holds for the context, else the estimate (≈).": (
        "每个模型只出现一次，取能放下的最高精度级别；余量很小的会标出。显存取适用于该上下文的公布值，否则为估算值（≈）。"
    ),
    "for this machine's GPU (or its RAM, without a GPU), 4K context": "按本机 GPU（没有 GPU 则按内存），4K 上下文",
    "an 8 GB card, 8K context, commercial use allowed": "8 GB 显卡、8K 上下文、允许商用",
    "medical models, explained in Chinese": "医学模型，中文说明",
    "ranking with Hub downloads, as data": "结合 Hub 下载量排序，输出为数据",
    "Judge CPU fits within this much RAM instead.": "改为按这么多内存判断 CPU 能否运行。",
    "Context to fit (prompt + reply).": "要放下的上下文长度（提示 + 回复）。",
    "What the model is for.": "模型用途。",
    "Only weights licensed for commercial use.": "只推荐权重允许商用的模型。",
    "How many picks to show.": "显示多少个推荐。",
    "Use Hub downloads (fetched, cached 24 h) to break ties.": "用 Hub 下载量（获取后缓存 24 小时）区分同分模型。",
    # show
    "Show everything known about a project, model or variant: who made it, papers, data, licence, resources.": "显示项目、模型或版本的全部信息：开发者、论文、数据、许可、资源消耗。",
    "Live figures for each Hub repo (downloads, likes, size, status) follow the card; they are cached for 24 h. If the Hub cannot be reached the card is still shown, with one line on stderr (exit 1 only with --strict).": (
        "卡片之后是每个 Hub 仓库的实时数据（下载量、点赞数、大小、状态），缓存 24 小时。无法访问 Hub 时仍显示卡片，并在标准错误输出一行说明（仅在 --strict 时退出码为 1）。"
    ),
    "the whole project card": "完整的项目卡片",
    "one model (a LoRA adapter: which base weights it needs)": "单个模型（LoRA 适配器：需要哪份基座权重）",
    "Chinese names work too (a family name lists its projects)": "也可用中文名（系列名会列出其下各项目）",
    "a pasted model page": "粘贴的模型页面地址",
    "a repo the catalog lacks: live Hub figures and an estimate": "目录中没有的仓库：显示 Hub 实时数据和显存估算",
    "the whole catalog record with sources (no network)": "带出处的完整目录记录（不联网）",
    "Hub figures from the cache only": "只用缓存中的 Hub 数据",
    "through a mirror": "通过镜像",
    "An id, a Chinese or English name or part of one, a Hub repo id, or a pasted model page URL.": "ID、中英文名称（或其一部分）、Hub 仓库 ID，或粘贴的模型页面地址。",
    "Your own catalog file, added to the built-in one (repeatable; ~/.config/llmzh/models.yaml is read too).": (
        "你自己的目录文件，与内置目录合并（可重复；也会读取 ~/.config/llmzh/models.yaml）。"
    ),
    "the parts in bytes (`total_bytes` as nvidia-smi shows it, `allocated_bytes` as torch.cuda.max_memory_allocated reports it)": (
        "各部分的字节数（`total_bytes` 对应 nvidia-smi 显示的值，`allocated_bytes` 对应 torch.cuda.max_memory_allocated）"
    ),
    "hybrid attention: KV cache of the 8 full-attention layers only, plus the fixed state of the 24 linear ones": (
        "混合注意力：只有 8 个全注意力层有 KV 缓存，另加 24 个线性注意力层的固定状态"
    ),
    "llama.cpp with an 8-bit KV cache": "llama.cpp，8 比特 KV 缓存",
    "Check a catalog file (`data/models.yaml` or your own); draft an entry for a Hub repo.": "检查目录文件（`data/models.yaml` 或你自己的）；为 Hub 仓库起草目录条目。",
    "Write a starting catalog entry for a Hub repo, every fact with the URL it came from.": "为 Hub 仓库写出目录条目的初稿，每条事实都附上来源 URL。",
    "Reads the repo's config.json (architecture, context length, precision, quantization_config), its card metadata (licence tag, base model) and the Hub's safetensors count and creation date. You complete the rest: description, tasks, commercial terms where unknown, benchmarks and memory figures.": (
        "读取仓库的 config.json（架构、上下文长度、精度、quantization_config）、模型卡元数据（许可标签、基座模型）以及 Hub 上的 safetensors 参数量和创建日期。其余内容由你补全：简介、用途、未知的商用条款、评测分数和显存数值。"
    ),
    "a starting entry to complete": "生成待补全的条目初稿",
    "check it, then use it beside the built-in catalog (or save it as ~/.config/llmzh/models.yaml)": (
        "先检查，再与内置目录一起使用（或保存为 ~/.config/llmzh/models.yaml）"
    ),
    "Write the draft here (default: stdout).": "将初稿写入该文件（默认：标准输出）。",
    "Hub repo id, owner/name, or a pasted model page URL.": "Hub 仓库 ID（owner/name），或粘贴的模型页面地址。",
    "Token for gated or private repos: Hugging Face's (default: HF_TOKEN), or ModelScope's with --source modelscope (default: MODELSCOPE_API_TOKEN). Never printed.": (
        "访问受限或私有仓库的 token：Hugging Face 的（默认：HF_TOKEN），或配合 --source modelscope 使用魔搭的（默认：MODELSCOPE_API_TOKEN）。从不打印。"
    ),
    "from ModelScope (modelscope.cn), into its own cache": "从魔搭社区（modelscope.cn）下载到其自己的缓存",
    "Where to ask: Hugging Face, ModelScope (modelscope.cn), or auto: Hugging Face, falling back to ModelScope when it is unreachable (default: LLMZH_SOURCE, else auto).": (
        "从哪里获取：Hugging Face、魔搭（modelscope.cn），或 auto：先用 Hugging Face，无法访问时改用魔搭（默认：LLMZH_SOURCE，否则 auto）。"
    ),
    "against ModelScope's sha256 of each file": "按魔搭记录的每个文件的 sha256 校验",
    "how many layers -ngl": "-ngl 能放多少层",
    "Tokens held in the KV cache (prompt + reply); default 2048 (vLLM, Ollama: their own default).": (
        "KV 缓存中的 token 数（提示 + 回复）；默认 2048（vLLM、Ollama：用它们自己的默认值）。"
    ),
    "transformers (>= 4.45), transformers-legacy (4.36-4.44: whole-prompt fp32 logits), llama.cpp (default for GGUF levels; with --vram/--ram: -ngl offload), vllm (KV pool and concurrency; needs --vram) or ollama.": (
        "transformers（>= 4.45）、transformers-legacy（4.36-4.44：整段提示的 fp32 logits）、llama.cpp（GGUF 级别的默认值；配合 --vram/--ram：-ngl 分层卸载）、vllm（KV 池与并发；需要 --vram）或 ollama。"
    ),
    "RAM for the layers llama.cpp/Ollama keep on the CPU.": "llama.cpp/Ollama 留在 CPU 上的层所用的内存。",
    "GPU for the speed estimate (default: the detected one).": "速度估算所用的 GPU（默认：检测到的那块）。",
    "vLLM's share of the card (default: vLLM's, 0.92 since v0.21).": "vLLM 占用显卡的比例（默认：vLLM 的默认值，v0.21 起为 0.92）。",
    "vLLM's sequences per batch (default: vLLM's).": "vLLM 每批的序列数（默认：vLLM 的默认值）。",
    "what vLLM serves at 32K on a 24 GB card, with commands": "24 GB 显卡上 vLLM 能以 32K 上下文运行什么，附命令",
    "Rank under this runtime's memory model (vllm, llama.cpp, ollama: GPU only); default: transformers figures, GGUF on llama.cpp.": (
        "按该运行时的显存模型排序（vllm、llama.cpp、ollama：仅 GPU）；默认：transformers 的数值，GGUF 按 llama.cpp。"
    ),
    "live figures from ModelScope (modelscope.cn)": "魔搭（modelscope.cn）的实时数据",
    "the vLLM / llama.cpp / Ollama commands sized for a 24 GB card": "按 24 GB 显卡给出的 vLLM / llama.cpp / Ollama 命令",
    "Context the printed commands are sized for.": "打印的命令按多长的上下文配置。",
    # catalog check
    "Check the catalog file (`data/models.yaml` or your own).": "检查目录文件（`data/models.yaml` 或你自己的）。",
    "Validate a catalog file and report every problem at once (exit 1 if any).": "校验目录文件，一次报告全部问题（有问题则退出码为 1）。",
    "Beyond the structure it checks that every figure, score, date and licence has a source, that every licence states commercial terms, and that each architecture block agrees with the stated parameter count within 10 %. Without PATH it checks the built-in catalog and your own catalog file, and that no id is used in both.": (
        "除结构外，还检查每个数值、分数、日期和许可都有出处，每个许可都写明商用条款，且每个架构块与标注的参数量相差不超过 10 %。"
        "不给 PATH 时，检查内置目录和你自己的目录文件，以及两者没有重复的 ID。"
    ),
    "Catalog file (default: the built-in one or LLMZH_CATALOG, and your ~/.config/llmzh/models.yaml).": (
        "目录文件（默认：内置目录或 LLMZH_CATALOG，以及你的 ~/.config/llmzh/models.yaml）。"
    ),
}


def _help_line(line: str) -> str:
    """One line, or one example (`* `cmd` — what it does`, which may run over several lines)."""
    key = " ".join(line.split())
    if key in HELP:
        return HELP[key]
    head, sep, tail = key.partition(" — ")
    if sep and tail in HELP:
        return f"{head}{sep}{HELP[tail]}"
    return line


def translate_help(text: str | None) -> str | None:
    """A help text, docstring or epilog in Chinese, paragraph by paragraph and example line by example line."""
    if not text:
        return text
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        key = " ".join(paragraph.split())
        if key in HELP:
            paragraphs.append(HELP[key])
        else:
            items = re.split(r"\n(?=\* )", paragraph)  # an example's continuation lines belong to it
            paragraphs.append("\n".join(_help_line(item) for item in items))
    return "\n\n".join(paragraphs) + ("\n" if text.endswith("\n") else "")
