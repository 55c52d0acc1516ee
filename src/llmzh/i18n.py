"""Labels in Chinese and English."""

from __future__ import annotations

from llmzh.schema import Commercial, Format, Lang

_LABELS: dict[str, tuple[str, str]] = {
    "id": ("ID", "ID"),
    "model": ("模型", "Model"),
    "quant": ("量化", "Quant"),
    "vram": ("最低显存", "Min VRAM"),
    "vram_ft": ("微调显存", "Tune VRAM"),
    "vram_estimate": ("估算显存 (2K)", "Estimate (2K)"),
    "weights_only": ("(仅权重)", "(weights)"),
    "ram": ("内存", "RAM"),
    "license": ("许可 / 商用", "Licence / commercial"),
    "commercial": ("商用", "Commercial"),
    "base": ("基座模型", "Base model"),
    "highlights": ("项目特点", "Highlights"),
    "params": ("参数量", "Params"),
    "context": ("上下文", "Context"),
    "pretraining": ("额外的预训练数据集", "Extra pre-training data"),
    "instruction": ("指令微调数据集", "Instruction data"),
    "extra_training": ("额外的训练过程", "Extra training"),
    "quant_support": ("量化支持", "Quantized"),
    "repo": ("Hugging Face 仓库", "Hugging Face repo"),
    "hub_repo": ("仓库", "Repo"),
    "score": ("C-Eval / CMMLU", "C-Eval / CMMLU"),
    "developers": ("开发者", "Developers"),
    "papers": ("论文", "Papers"),
    "url": ("项目地址", "Project"),
    "downloads": ("模型下载地址", "Downloads"),
    "other_downloads": ("其他下载", "Other downloads"),
    "description": ("模型简述", "Description"),
    "resources": ("资源消耗", "Resources"),
    "demos": ("提供DEMO的场景", "Demo scenarios"),
    "licence": ("许可", "Licence"),
    "code_license": ("代码", "Code"),
    "weights_license": ("权重", "Weights"),
    "notes": ("注意", "Notes"),
    "sources": ("来源", "Sources"),
    "release_date": ("发布日期", "Released"),
    "format": ("格式", "Format"),
    "needs_base": ("需要基座权重", "Needs base weights"),
    "base_alternatives": ("其他来源", "Alternatives"),
    "base_license": ("基座许可", "Base licence"),
    "load_time": ("加载时量化自", "quantized at load time from"),
    "load_code": ("加载代码", "Load with"),
    "unknown": ("未知", "unknown"),
    "max_context": ("最长上下文", "longest context"),
    "arch_not_yet": (
        "估算器还读不了这个架构（见 issue 11）：显存只有公布的数字。",
        "The estimator cannot read this architecture yet (issue 11): only published memory figures apply.",
    ),
    "ctx_above_native": (
        "注意：{model} 训练时的上下文为 {native} token；{ctx} token 超出原生长度{how}。",
        "Note: {model} was trained for {native} tokens; {ctx} is beyond its native context{how}.",
    ),
    "ctx_with_method": ("，需按模型卡启用：{method}", " and needs what the card names: {method}"),
    "na": ("NA", "NA"),
    "cpu_only": ("仅 CPU", "CPU only"),
    "modelscope": ("ModelScope", "ModelScope"),
    "na_note": ("NA 表示原始项目未提供", "NA: not published by the project"),
    "estimate_2k": (
        "估算按 2048 token 上下文，见 llmzh estimate",
        "estimates at a 2048-token context; see llmzh estimate",
    ),
    "estimate_note": ("≈ 为估算值，非项目公布", "≈ marks an estimate, not a published figure"),
    "name": ("名称", "Name"),
    "models": ("模型", "Models"),
    "condition": ("条件", "Condition"),
    "other_values": ("其他公布值", "Other published values"),
    "fits_none": ("没有满足条件的模型", "No models match"),
    "unknown_vram_title": ("显存未知（不计为可运行）", "VRAM unknown (never counted as fitting)"),
    "unknown_ram_title": ("内存未知（不计为可运行）", "RAM unknown (never counted as fitting)"),
    "variants": ("版本", "Variants"),
    "hub": ("Hugging Face Hub 实时数据", "Live figures from the Hugging Face Hub"),
    "modelscope_live": ("ModelScope（魔搭社区）实时数据", "Live figures from ModelScope"),
    "ms_repo": ("ModelScope 仓库", "ModelScope repo"),
    "source_fallback": (
        "{host}：{why}；改用 ModelScope（{endpoint}）（用 --source hf 可坚持用 Hugging Face）",
        "{host}: {why}; using ModelScope ({endpoint}) instead (--source hf to insist)",
    ),
    "ms_downloads": ("下载量", "Downloads"),
    "doctor_ms": ("ModelScope（魔搭社区）", "ModelScope"),
    "doctor_endpoint": ("地址", "endpoint"),
    "doctor_answers": ("可访问", "answers"),
    "doctor_no_answer": ("无法访问", "does not answer"),
    "doctor_token": ("token", "token"),
    "token_stored login": ("已保存的登录（modelscope login）", "stored login (modelscope login)"),
    "token_not set": ("未设置", "not set"),
    "hub_status": ("状态", "Status"),
    "hub_downloads": ("30天下载", "DL/30d"),
    "hub_likes": ("点赞", "Likes"),
    "hub_size": ("仓库", "Repo"),
    "hub_weights": ("权重", "Weights"),
    "hub_modified": ("更新", "Updated"),
    "hub_fetched": ("获取时间", "Fetched"),
    "hub_live": ("实时", "live"),
    "hub_cached_ago": ("缓存于 {age} 前", "cached {age} ago"),
    "status_ok": ("正常", "ok"),
    "status_gone": ("已删除", "gone"),
    "status_gated": ("需申请访问", "gated"),
    "status_unavailable": ("无法获取", "unavailable"),
    "base_role": ("基座", "base"),
    "runtime": ("运行时", "Runtime"),
    "est_weights": ("权重", "Weights"),
    "est_kv": ("KV 缓存", "KV cache"),
    "est_act": ("激活/工作区", "Activations"),
    "est_overhead": ("运行开销", "Overhead"),
    "est_total": ("合计（估算）", "Total (est.)"),
    "est_published": ("项目公布", "Published"),
    "est_fits": ("能否放入 {gb} GB", "Fits {gb} GB"),
    "est_fits_ram": ("能否放入 {gb} GB 内存", "Fits {gb} GB RAM"),
    "est_title": (
        "{name} 显存估算：上下文 {ctx} token（提示 {prompt}），batch {batch}（≈ 为估算值）",
        "{name} memory estimate: context {ctx} tokens (prompt {prompt}), batch {batch} (≈ estimates)",
    ),
    "est_llama_style": ("model_type {mt}：按 LLaMA 式解码器读取", "model_type {mt}: read as a LLaMA-style decoder"),
    "est_counted": ("权重包含 {what}", "weights include the {what}"),
    "ft_title": (
        "{name} 微调显存粗估：{method}，基座 {quant}，序列 {seq}，batch {batch}",
        "{name} fine-tuning memory, a rough estimate: {method}, base {quant}, sequence {seq}, batch {batch}",
    ),
    "ft_trainable": ("可训练参数", "Trainable parameters"),
    "ft_adapter": ("适配器", "Adapter"),
    "ft_grads": ("梯度与优化器状态", "Gradients + optimizer"),
    "ft_act_ckpt": ("激活（梯度检查点）", "Activations (checkpointing)"),
    "ft_step": ("优化器步额外（大于激活时取它）", "Optimizer step (counts if larger)"),
    "ft_total": ("合计", "Total"),
    "ft_total_ckpt": ("合计（梯度检查点）", "Total (checkpointing)"),
    "rt_title": (
        "{name} {quant}：{runtime}，上下文 {ctx}（≈ 估算）",
        "{name} {quant}: {runtime}, context {ctx} (≈ estimates)",
    ),
    "rt_gpu_memory_utilization": ("vLLM 占用显存比例", "vLLM's share of the card"),
    "rt_kv_cache_dtype": ("KV 缓存类型", "KV-cache type"),
    "rt_kv_cache_type": ("KV 缓存类型", "KV-cache type"),
    "rt_weights_bytes": ("权重", "Weights"),
    "rt_activation_bytes": ("激活峰值（启动时测）", "Activation peak (profiled)"),
    "rt_non_torch_bytes": ("PyTorch 之外", "Outside PyTorch"),
    "rt_cuda_graph_bytes": ("CUDA Graph", "CUDA graphs"),
    "rt_kv_pool_bytes": ("KV 缓存池", "KV-cache pool"),
    "rt_kv_cache_tokens": ("KV 缓存可容纳 token", "Tokens the pool holds"),
    "rt_state_bytes_per_sequence": ("每个序列的线性注意力状态", "Linear-attention state per sequence"),
    "rt_max_concurrency": ("可同时服务的序列数", "Sequences served at once"),
    "rt_max_model_len": ("单序列最长", "Longest single sequence"),
    "rt_max_num_seqs": ("max_num_seqs", "max_num_seqs"),
    "rt_fits": ("能否运行", "Runs"),
    "rt_gpu_layers": ("放在 GPU 上的层（-ngl）", "Layers on the GPU (-ngl)"),
    "rt_total_layers": ("总层数（含输出层）", "Layers (with the output layer)"),
    "rt_gpu_bytes": ("显存合计（含 CUDA 上下文）", "GPU total (with CUDA context)"),
    "rt_gpu_model_bytes": ("显存：模型", "GPU: model"),
    "rt_gpu_kv_bytes": ("显存：KV 缓存", "GPU: KV cache"),
    "rt_gpu_compute_bytes": ("显存：计算缓冲", "GPU: compute buffer"),
    "rt_ram_bytes": ("留在内存", "Left in RAM"),
    "rt_ollama_default_ctx": ("Ollama 默认上下文", "Ollama's default context"),
    "rt_speed": ("速度（{gpu}）", "Speed ({gpu})"),
    "rt_speed_value": ("生成 ≈{decode} token/s{prefill}", "decode ≈{decode} tokens/s{prefill}"),
    "rt_prefill": ("，预填充 ≈{tps} token/s", ", prefill ≈{tps} tokens/s"),
    "rt_commands": ("运行命令", "Commands"),
    "run_title": ("运行命令（上下文 {ctx}{vram}）", "Run it (context {ctx}{vram})"),
    "hub_notes": ("与目录不一致（目录可能需要更正）", "Disagrees with the catalog (the catalog may need a fix)"),
}

_COMMERCIAL: dict[Commercial, tuple[str, str]] = {
    Commercial.FREE: ("可免费商用", "commercial use free"),
    Commercial.REGISTRATION: ("登记后可商用", "commercial after registration"),
    Commercial.RESEARCH_ONLY: ("仅限研究", "research only"),
    Commercial.UNKNOWN: ("商用条款未知", "commercial terms unknown"),
}

_FORMAT: dict[Format, tuple[str, str]] = {
    Format.FULL: ("完整权重", "full weights"),
    Format.LORA: ("LoRA 适配器", "LoRA adapter"),
    Format.DELTA: ("差分权重", "delta weights"),
    Format.GGML: ("GGML（llama.cpp）", "GGML (llama.cpp)"),
    Format.GGUF: ("GGUF（llama.cpp）", "GGUF (llama.cpp)"),
}


_COMMERCIAL_SHORT: dict[Commercial, tuple[str, str]] = {
    Commercial.FREE: ("可商用", "yes"),
    Commercial.REGISTRATION: ("登记后商用", "after reg."),
    Commercial.RESEARCH_ONLY: ("仅研究", "research"),
    Commercial.UNKNOWN: ("未知", "unknown"),
}


def t(key: str, lang: Lang) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def commercial(value: Commercial, lang: Lang, *, short: bool = False) -> str:
    zh, en = (_COMMERCIAL_SHORT if short else _COMMERCIAL)[value]
    return zh if lang == "zh" else en


def fmt(value: Format, lang: Lang) -> str:
    zh, en = _FORMAT[value]
    return zh if lang == "zh" else en
