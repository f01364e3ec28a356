import pickle
import time

import pytest
import torch
from safetensors.torch import save_file

from cnnapp.errors import ConfigError, WeightsError
from cnnapp.models.factory import create_model, head_of
from cnnapp.models.pretrained import imagenet_model, lite0_state_dict, read_checkpoint
from cnnapp.models.registry import build, get_spec
from cnnapp.serving.inference import Predictor


def test_lite0_weights_map_every_tensor_strictly():
    spec = get_spec("tf_efficientnet_lite0")
    model = build(spec, 1000)
    mapped = lite0_state_dict(model)
    assert len(mapped) == len(model.state_dict()) == 296
    assert mapped.keys() == model.state_dict().keys()


@pytest.mark.slow
def test_offline_imagenet_classifier_recognises_real_photos(photos):
    predictor = Predictor.imagenet("tf_efficientnet_lite0")
    cat, coffee = predictor.predict([photos["chelsea"], photos["coffee"]], top_k=3)
    assert cat[0][0] in ("tiger cat", "Egyptian cat", "tabby, tabby cat")
    assert all("cat" in label for label, _ in cat)
    assert coffee[0][0] == "espresso"


def test_head_is_replaced_and_backbone_keeps_pretrained_weights():
    spec = get_spec("tf_efficientnet_lite0")
    reference = imagenet_model(spec).state_dict()
    model = create_model("tf_efficientnet_lite0", 5, pretrained=True)
    assert head_of(model, spec).out_features == 5
    for key, value in model.state_dict().items():
        if not key.startswith("classifier."):
            torch.testing.assert_close(value, reference[key])


def test_offline_download_failure_names_the_way_out():
    with pytest.raises(WeightsError) as err:
        create_model("resnet18", 3, pretrained=True)
    assert "tf_efficientnet_lite0" in str(err.value) and "--weights" in str(err.value)


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_weights_file_loads_backbone_and_replaces_head(tmp_path, suffix):
    source = create_model("resnet18", 10)
    path = tmp_path / f"backbone{suffix}"
    state = {k: v.contiguous() for k, v in source.state_dict().items()}
    save_file(state, str(path)) if suffix == ".safetensors" else torch.save({"state_dict": state}, path)
    model = create_model("resnet18", 3, weights=path)
    assert model.fc.out_features == 3
    torch.testing.assert_close(model.conv1.weight, source.conv1.weight)
    torch.testing.assert_close(model.layer4[1].bn2.running_var, source.layer4[1].bn2.running_var)


def test_weights_file_for_another_architecture_is_refused(tmp_path):
    path = tmp_path / "lenet.safetensors"
    save_file(create_model("lenet5", 3).state_dict(), str(path))
    with pytest.raises(WeightsError, match="does not match this architecture"):
        create_model("resnet18", 3, weights=path)


class Exploit:
    def __reduce__(self):
        return (print, ("pickle code ran",))


def test_pickled_objects_are_never_unpickled(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"conv1.weight": Exploit()}, f)
    with pytest.raises(WeightsError, match="could not read weights"):
        read_checkpoint(path)
    assert "pickle code ran" not in capsys.readouterr().out


@pytest.mark.parametrize("arch", ["resnet18", "alexnet"])  # a timm architecture (the Hub), a torchvision one
def test_without_network_a_pretrained_architecture_is_refused_at_once(monkeypatch, arch):
    """HF_HUB_OFFLINE unset, and the weights' host out of reach: refused in the form's time, not after the hubs'
    retries (40–50 s were seen)."""
    from cnnapp.models import registry
    from cnnapp.training.config import TrainConfig, resolve

    hosts = []

    def unreachable(address, timeout):
        hosts.append(address[0])
        raise OSError("Network is unreachable")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(registry.socket, "create_connection", unreachable)
    monkeypatch.setattr(registry, "_REACHABLE", {})
    monkeypatch.setattr(registry, "_cached", lambda spec: False)
    started = time.monotonic()
    assert (
        str(registry.pretrained_problem(arch))
        == f"no ImageNet weights available offline for {registry.display_name(arch)}"
    )
    with pytest.raises(ConfigError, match="no ImageNet weights available offline"):
        resolve(TrainConfig(data=".", arch=arch, pretrained=True))
    assert time.monotonic() - started < 5 and len(hosts) == 1, "one probe, remembered"
    assert hosts[0] == ("download.pytorch.org" if arch == "alexnet" else "huggingface.co")
    assert registry.pretrained_problem("tf_efficientnet_lite0") is None, "bundled weights need no network"


def test_with_downloads_off_no_host_is_even_asked(monkeypatch):
    from cnnapp.models import registry

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(registry.socket, "create_connection", lambda *a, **k: pytest.fail("probed a host offline"))
    monkeypatch.setattr(registry, "_cached", lambda spec: False)
    assert str(registry.pretrained_problem("resnet18")).startswith("no ImageNet weights available offline")
