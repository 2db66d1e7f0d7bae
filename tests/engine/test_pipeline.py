import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.pipeline import model_id


def test_local_folder_loads_through_from_pretrained(tiny_sd_dir):
    pipe = dw.load_pipeline(str(tiny_sd_dir))
    assert type(pipe).__name__ == "StableDiffusionPipeline" and pipe.unet.dtype == torch.float32
    assert model_id(pipe) == str(tiny_sd_dir)
    ed = dw.DragonEditor(pipe)
    assert ed.preset.name == "sd15"  # an SD-style VAE selects the official values


def test_unknown_model_id_offline_says_it_cannot_download_and_how_to_pass_a_path(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(dw.ModelNotAvailableError, match="cannot load model 'someone/no-such-model'.*local path"):
        dw.load_pipeline("someone/no-such-model")


def test_missing_paths_and_bad_arguments():
    with pytest.raises(dw.ModelNotAvailableError, match="does not exist"):
        dw.load_pipeline("./nowhere/model.safetensors")
    with pytest.raises(TypeError, match="dtype must be a torch.dtype"):
        dw.load_pipeline(None, dtype="float16")


def test_single_file_without_config_offline_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    f = tmp_path / "model.safetensors"
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(f))
    with pytest.raises(dw.ModelNotAvailableError, match="single-file checkpoint"):
        dw.load_pipeline(str(f))


def test_editor_rejects_non_pipelines():
    with pytest.raises(TypeError, match="pipe must be a Stable-Diffusion-style"):
        dw.DragonEditor(object())


def test_presets_are_named_and_complete():
    sd = dw.get_preset("sd15")
    assert sd.resolution == 768 and sd.num_steps == 50
    assert sd.mode("move").grad_scale == 0.08 and sd.mode("drag").grad_scale == 0.04
    assert sd.mode("move").energy_scale * sd.mode("move").grad_scale == 40
    assert set(sd.modes) == {"move", "drag", "landmark", "appearance", "paste"}
    assert dw.Preset.from_dict(sd.to_dict()) == sd
    with pytest.raises(ValueError, match="preset must be a Preset or one of"):
        dw.get_preset("sdxl-turbo")
    with pytest.raises(TypeError, match="feature_layers must be a tuple of module-name patterns"):
        sd.replace(feature_layers=(1, 2))
    with pytest.raises(ValueError, match="no parameters for mode"):
        sd.mode("warp")
    assert sd.with_mode("move", w_edit=9).mode("move").w_edit == 9 and sd.mode("move").w_edit == 4


def test_presets_reject_inconsistent_values(tiny_sd):
    sd = dw.get_preset("sd15")
    with pytest.raises(ValueError, match="schedule must be"):
        sd.replace(schedule="diffedit")
    three = sd.replace(feature_layers=("up_blocks.1", "up_blocks.2", "up_blocks.3"))  # a chain of changes may
    with pytest.raises(ValueError, match="mode 'move' has 2 layer_weights but feature_layers names 3"):  # pass
        three.check()  # through disagreeing values ...
    single = sd.replace(feature_layers=("up_blocks.2",)).with_mode("move", layer_weights=(1.0,))
    assert single.check(modes=("move",)) is single  # an ablation may fix only the mode it runs
    with pytest.raises(ValueError, match="mode 'drag' has 2 layer_weights"):
        single.check()
    with pytest.raises(ValueError, match="time_travel_steps must be below"):
        sd.replace(num_steps=20).check()  # the official time-travel steps 22–28 need 50 steps
    assert sd.replace(num_steps=20, time_travel_steps=(10,)).check().num_steps == 20


def test_paths_expand_home_and_empty_names_are_rejected(tiny_sd_dir, monkeypatch):
    monkeypatch.setenv("HOME", str(tiny_sd_dir.parent))
    pipe = dw.load_pipeline(f"~/{tiny_sd_dir.name}")
    assert model_id(pipe) == str(tiny_sd_dir.resolve())  # edit logs get a path that replays anywhere on this machine
    with pytest.raises(ValueError, match="model must be None"):
        dw.load_pipeline("")


def test_dtype_defaults_to_float16_on_cuda_and_float32_elsewhere():
    from dragon_widgets.engine.pipeline import default_dtype

    assert default_dtype("cuda") == default_dtype("cuda:1") == torch.float16
    assert default_dtype("cpu") == default_dtype(torch.device("cpu")) == torch.float32


def test_single_file_pipelines_record_their_path_for_edit_logs(tiny_sd_dir, monkeypatch):
    from diffusers import StableDiffusionPipeline

    built = dw.load_pipeline(str(tiny_sd_dir))
    built.register_to_config(_name_or_path="")  # as from_single_file leaves it
    monkeypatch.setattr(StableDiffusionPipeline, "from_single_file", classmethod(lambda cls, *a, **k: built))
    f = tiny_sd_dir.parent / "weights.safetensors"
    f.write_bytes(b"0")
    assert model_id(dw.load_pipeline(str(f))) == str(f.resolve())


def test_editor_refuses_pipelines_it_cannot_drive_and_names_the_families():
    from dragon_widgets.models.random_sd import random_sd_pipeline

    families = "the embedded model, Stable Diffusion XL, Stable Diffusion 1.x/2.x"
    other = random_sd_pipeline("tiny")
    other.unet.register_to_config(addition_embed_type="text_image")  # e.g. Kandinsky-style conditioning
    with pytest.raises(TypeError, match=f"of no family .*'text_image'.*{families}"):
        dw.DragonEditor(other)
    inpaint_like = random_sd_pipeline("tiny")
    inpaint_like.unet.register_to_config(in_channels=9)
    with pytest.raises(TypeError, match="9 input channels but the VAE makes 4-channel.*Stable Diffusion 1.x/2.x"):
        dw.DragonEditor(inpaint_like)

    class TransformerPipeline:  # SD3 / FLUX: a transformer instead of a UNet
        transformer = vae = scheduler = None

    with pytest.raises(TypeError, match=f"SD3 or FLUX.*{families}"):
        dw.DragonEditor(TransformerPipeline())
    with pytest.raises(ValueError, match="preset 'sd15' does not fit .*'up_blocks.5' must name exactly one module"):
        dw.DragonEditor(random_sd_pipeline("tiny"), preset=dw.get_preset("sd15").replace(
            feature_layers=("up_blocks.1", "up_blocks.5")))
    with pytest.raises(ValueError, match="bank_layers \\('up_blocks.0',\\) cover no self-attention.*up_blocks.3"):
        dw.DragonEditor(random_sd_pipeline("tiny"), preset=dw.get_preset("sd15").replace(bank_layers=("up_blocks.0",)))


def test_sdxl_folder_loads_and_gets_the_sdxl_family(tiny_sdxl_dir):
    pipe = dw.load_pipeline(str(tiny_sdxl_dir))
    assert type(pipe).__name__ == "StableDiffusionXLPipeline" and model_id(pipe) == str(tiny_sdxl_dir)
    ed = dw.DragonEditor(pipe)
    assert ed.family.name == "sdxl" and ed.preset.name == "sdxl"


def test_single_files_load_as_sd_or_sdxl_by_their_keys_or_config(tiny_sd_dir, tiny_sdxl_dir, tmp_path, monkeypatch):
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
    from safetensors.torch import save_file

    from dragon_widgets.engine.pipeline import single_file_class

    xl, sd = tmp_path / "xl.safetensors", tmp_path / "sd.safetensors"
    save_file({"conditioner.embedders.1.model.transformer.resblocks.9.mlp.c_proj.bias": torch.zeros(1)}, str(xl))
    save_file({"model.diffusion_model.output_blocks.11.0.skip_connection.weight": torch.zeros(1)}, str(sd))
    assert single_file_class(str(xl)) is StableDiffusionXLPipeline and single_file_class(str(sd)) is StableDiffusionPipeline
    assert single_file_class(str(sd), config=str(tiny_sdxl_dir)) is StableDiffusionXLPipeline  # the config decides
    assert single_file_class(str(xl), config=str(tiny_sd_dir)) is StableDiffusionPipeline
    built = dw.load_pipeline(str(tiny_sdxl_dir))
    built.register_to_config(_name_or_path="")
    seen = {}

    def fake(cls, path, **kw):
        seen.update(path=path, **kw)
        return built

    monkeypatch.setattr(StableDiffusionXLPipeline, "from_single_file", classmethod(fake))
    pipe = dw.load_pipeline(str(xl), config=str(tiny_sdxl_dir))
    assert pipe is built and seen["path"] == str(xl.resolve()) and model_id(pipe) == str(xl.resolve())
    assert dw.DragonEditor(pipe).family.name == "sdxl"


def test_transformer_pipelines_are_refused_naming_the_families(monkeypatch):
    from diffusers import DiffusionPipeline

    class FluxLike:  # what from_pretrained returns for SD3/FLUX: a transformer, no UNet
        transformer = vae = scheduler = None

    monkeypatch.setattr(DiffusionPipeline, "from_pretrained", classmethod(lambda cls, *a, **k: FluxLike()))
    with pytest.raises(ValueError, match="SD3/FLUX transformers are not driven.*Stable Diffusion XL"):
        dw.load_pipeline("black-forest-labs/FLUX.1-dev")
