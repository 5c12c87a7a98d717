"""The answer path's steps, one per file; `rag.answer.pipeline.STEPS` is their order."""
