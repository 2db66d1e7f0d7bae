"""Look inside a spatial edit: correspondences, energies, gradients, memory-bank attention.

Pure computations on feature tensors and on an edit's ``res.trace`` (see docs/engine_api.md), plus
``plot_*`` functions returning matplotlib Figures; they need no torch. :class:`FeatureExtractor` takes features of
any image with the engine's DIFT code (:func:`dragon_widgets.engine.dift_features`). The interactive panels live
in ``dragon_widgets.widgets.panels``.
"""

from __future__ import annotations

from dragon_widgets._lazy import lazy_exports

_LAZY = {
    "Correspondence": "correspondence", "correspond": "correspondence", "correspondence_grid": "correspondence",
    "similarity_to_vector": "correspondence", "query_vector": "correspondence", "best_match": "correspondence",
    "FeatureExtractor": "features", "available_layers": "features", "working_size": "features",
    "trace_features": "recorded", "feature_timesteps": "recorded", "steps_with": "recorded",
    "EnergySeries": "energy", "energy_series": "energy", "energies_along": "energy_reference",
    "gradient_map": "gradients", "gradient_direction": "gradients", "term_region": "gradients",
    "gradient_label": "gradients", "gradient_terms": "gradients", "push_label": "gradients",
    "region_on_grid": "gradients", "push_axis": "gradients", "push_share": "gradients", "PUSH_MEANING": "gradients",
    "Style": "style", "presenter": "style", "use_style": "style", "current_style": "style", "get_style": "style",
    "NOTEBOOK": "style", "PRESENTER": "style",
    "FLAT_CONTRAST": "correspondence", "format_point": "_arrays",
    "AttentionMap": "attention", "attention_weights": "attention", "query_attention": "attention",
    "group_names": "attention",
    "handle_tracks": "tracks",
    "BankShare": "bank", "BankShareSeries": "bank", "region_share": "bank", "bank_share_series": "bank",
    "attention_spread": "bank", "attention_rows": "bank", "mask_on_grid": "bank", "image_difference": "bank",
    "Reconstruction": "inversion", "reconstructions": "inversion",
    "SideBySide": "matches", "side_by_side": "matches", "MatchLine": "matches", "match_lines": "matches",
    "layer_color": "matches",
    "save_slide": "slides", "slide_size": "slides", "SLIDE_SIZES": "slides",
    "save_animation": "animation", "animation_frames": "animation",
    "get_step": "_steps", "step_image": "_steps", "step_label": "_steps",
    "plot_correspondence": "plots", "plot_trace_correspondence": "plots", "plot_energies": "plots",
    "plot_gradients": "plots", "plot_attention": "plots", "plot_step": "plots",
    "plot_overview": "plots", "plot_bank_share": "plots", "plot_difference": "plots",
    "plot_reconstructions": "plots", "default_step": "plots", "default_query": "plots",
    "trace_timestep_images": "plots",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
