"""Components → a diffusers ``StableDiffusionPipeline`` (no safety checker, progress bars off): how the embedded
model's builder, its trainer and the random-weight test pipelines put a pipeline together."""

from __future__ import annotations


def as_pipeline(components: dict):
    """A ``StableDiffusionPipeline`` of ``components`` (unet, vae, text_encoder, tokenizer, scheduler)."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(**components, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe
