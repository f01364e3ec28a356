"""What a person with a folder of photos does after a first model, in a real browser: classify a whole zip on the
Predict tab (the table, the CSV and the sorted zip to download) and find the labels the model disagrees with on the
Evaluate tab. With CNNAPP_SCREENSHOTS=assets each refreshes its README picture."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
import test_browser
from conftest import DEMO, trained_demo_run
from test_browser import open_tab
from test_browser_ux import shoot

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = test_browser.pytestmark


def photos_zip(tmp_path: Path) -> Path:
    """Twelve pictures of the example in two sub-folders, and one file that is no picture."""
    folder = tmp_path / "photos"
    for i, name in enumerate(("bag", "sandal", "trouser", "sneaker")):
        target = folder / ("holiday" if i % 2 else "work")
        target.mkdir(parents=True, exist_ok=True)
        for f in sorted((DEMO / name).iterdir())[:3]:
            shutil.copy(f, target / f"{name}-{f.name}")
    (folder / "notes.jpg").write_bytes(b"not a picture")
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder))
    return archive


def test_a_zip_is_classified_and_the_labels_to_fix_are_listed(serve, browser, workspace, tmp_path):
    run = trained_demo_run(workspace)
    with serve() as app:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app.url)
        open_tab(page, "3 · Predict")
        expect(page.locator("#predict-model input")).to_have_value(re.compile("lenet5"), timeout=60_000)
        page.locator("#predict-folder").get_by_text("Classify a folder or zip").first.click()
        page.locator("#predict-folder-zip input[type=file]").set_input_files(str(photos_zip(tmp_path)))
        page.wait_for_timeout(1500)  # the upload reaches the server
        page.locator("#predict-folder-go").click()
        table = page.locator("#predict-folder-table")
        expect(table).to_contain_text("holiday/", timeout=120_000)
        expect(page.locator("#predict-folder-skipped")).to_contain_text("notes.jpg")
        expect(page.locator("#predict-folder-csv")).to_be_visible()
        expect(page.locator("#predict-folder-sorted")).to_be_visible()
        page.locator("#predict-folder").scroll_into_view_if_needed()
        shoot(page, "folder", tmp_path)

        open_tab(page, "Evaluate")
        page.locator("#evaluate-summary").get_by_text(run.id).wait_for(timeout=60_000)
        page.locator("#evaluate-cleaner").get_by_text("Fix the labels").first.click()
        page.locator("#cleaner-find").click()
        page.get_by_text("suspects, highest loss first").wait_for(timeout=120_000)
        expect(page.locator("#evaluate-cleaner").get_by_role("radio", name="remove").first).to_be_visible()
        page.locator("#evaluate-cleaner").scroll_into_view_if_needed()
        shoot(page, "cleaner", tmp_path)
        assert errors == []
