"""Safe model files (npz + JSON, never pickle on load) and atomic writes."""

from .model_file import (
    FORMAT_VERSION,
    MODEL_CLASSES,
    ModelFileError,
    atomic_write_bytes,
    commit_staged,
    is_checkpoint,
    load_model,
    read_model_file,
    register_model_class,
    save_model,
    stage_bytes,
    write_state,
)

__all__ = [
    "save_model", "write_state", "load_model", "read_model_file", "register_model_class", "atomic_write_bytes", "stage_bytes",
    "commit_staged", "is_checkpoint",
    "ModelFileError", "MODEL_CLASSES", "FORMAT_VERSION",
]
