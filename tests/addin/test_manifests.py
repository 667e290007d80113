"""Both add-in manifests, checked offline: required elements, URLs, icons (present, the right
size, served by the API) and version formats; and `compliance addin manifest | package`."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from tests.addin.make_icons import decode_png, icons
from typer.testing import CliRunner

from compliance_assistant.api.app import create_app
from compliance_assistant.cli.addin import (
    ADDIN_ID,
    TEMPLATE_ORIGIN,
    ManifestOptions,
    app_package,
    check_url,
    four_part_version,
    manifest_json,
    manifest_xml,
)
from compliance_assistant.cli.main import app as cli
from compliance_assistant.config import Settings

ADDIN = Path(__file__).resolve().parents[2] / "src" / "compliance_assistant" / "addin"
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "ov": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"


def _urls_xml(root: ElementTree.Element) -> list[str]:
    urls = [
        el.attrib["DefaultValue"]
        for el in root.iter()
        if "DefaultValue" in el.attrib and el.attrib["DefaultValue"].startswith("http")
    ]
    urls += [el.text or "" for el in root.iter(f"{{{NS['o']}}}AppDomain")]
    return urls


def _urls_json(value: object) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls_json(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls_json(item)]
    if isinstance(value, str) and value.startswith("https://") and "json-schemas" not in value:
        return [value]
    return []


def _png_size(path: Path) -> tuple[int, int]:
    width, height, _ = decode_png(path.read_bytes())
    return width, height


def _local(url: str, base: str) -> Path:
    """The file under addin/ that a manifest URL of the server at ``base`` serves."""
    assert url.startswith(f"{base}/addin/"), url
    return ADDIN / url.removeprefix(f"{base}/addin/")


def check_xml(text: str, base: str) -> ElementTree.Element:
    root = ElementTree.fromstring(text.encode())
    assert root.tag == f"{{{NS['o']}}}OfficeApp"
    assert root.attrib[XSI_TYPE] == "TaskPaneApp"
    uuid.UUID(root.findtext("o:Id", namespaces=NS))
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", root.findtext("o:Version", namespaces=NS) or "")
    for name in ("ProviderName", "DefaultLocale"):
        assert root.findtext(f"o:{name}", namespaces=NS)
    for name in ("DisplayName", "Description", "IconUrl", "HighResolutionIconUrl", "SupportUrl"):
        element = root.find(f"o:{name}", NS)
        assert element is not None, name
        assert element.attrib["DefaultValue"], name
    hosts = [h.attrib["Name"] for h in root.findall("o:Hosts/o:Host", NS)]
    assert hosts == ["Document"], "a Word add-in"
    sets = root.findall("o:Requirements/o:Sets/o:Set", NS)
    assert [(s.attrib["Name"], s.attrib["MinVersion"]) for s in sets] == [("WordApi", "1.3")]
    assert root.findtext("o:Permissions", namespaces=NS) == "ReadWriteDocument"
    source = root.find("o:DefaultSettings/o:SourceLocation", NS)
    assert source is not None
    assert source.attrib["DefaultValue"] == f"{base}/addin/taskpane.html"
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    assert [d.text for d in root.findall("o:AppDomains/o:AppDomain", NS)] == [origin]

    overrides = root.find("ov:VersionOverrides", NS)
    assert overrides is not None
    assert overrides.attrib[XSI_TYPE] == "VersionOverridesV1_0"
    host = overrides.find("ov:Hosts/ov:Host", NS)
    assert host is not None
    assert host.attrib[XSI_TYPE] == "Document"
    action = host.find(".//ov:Control/ov:Action", NS)
    assert action is not None
    assert action.attrib[XSI_TYPE] == "ShowTaskpane"
    # Every resid used is defined once, and strings respect Office's length limits.
    defined: dict[str, ElementTree.Element] = {}
    for el in overrides.find("ov:Resources", NS) or []:
        for resource in el:
            assert resource.attrib["id"] not in defined
            defined[resource.attrib["id"]] = resource
    used = {el.attrib["resid"] for el in overrides.iter() if "resid" in el.attrib}
    assert used <= set(defined), used - set(defined)
    for resource in overrides.findall("ov:Resources/bt:ShortStrings/bt:String", NS):
        assert len(resource.attrib["DefaultValue"]) <= 125
    for resource in overrides.findall("ov:Resources/bt:LongStrings/bt:String", NS):
        assert len(resource.attrib["DefaultValue"]) <= 250
    for image in overrides.findall(".//ov:Control/ov:Icon/bt:Image", NS):
        url = defined[image.attrib["resid"]].attrib["DefaultValue"]
        size = int(image.attrib["size"])
        assert _png_size(_local(url, base)) == (size, size), url

    for url in _urls_xml(root):
        assert url.startswith("https://"), url
        if url != origin:
            assert _local(url, base).is_file(), url
    icon = root.find("o:IconUrl", NS)
    high = root.find("o:HighResolutionIconUrl", NS)
    assert icon is not None
    assert high is not None
    assert _png_size(_local(icon.attrib["DefaultValue"], base)) == (32, 32)
    assert _png_size(_local(high.attrib["DefaultValue"], base)) == (64, 64)
    return root


def check_json(manifest: dict[str, object], base: str) -> None:
    assert isinstance(manifest["$schema"], str)
    assert re.fullmatch(r"1\.\d+", str(manifest["manifestVersion"]))
    uuid.UUID(str(manifest["id"]))
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(manifest["version"]))
    name = manifest["name"]
    description = manifest["description"]
    assert isinstance(name, dict)
    assert 0 < len(name["short"]) <= 30
    assert len(name["full"]) <= 100
    assert isinstance(description, dict)
    assert len(description["short"]) <= 80
    assert len(description["full"]) <= 4000
    assert manifest["validDomains"] == [urlsplit(base).netloc]
    icons_ = manifest["icons"]
    assert isinstance(icons_, dict)
    assert _png_size(ADDIN / icons_["color"]) == (192, 192)
    assert _png_size(ADDIN / icons_["outline"]) == (32, 32)
    _, _, outline = decode_png((ADDIN / icons_["outline"]).read_bytes())
    assert all(pixel[:3] == (255, 255, 255) or pixel[3] == 0 for row in outline for pixel in row)
    extensions = manifest["extensions"]
    assert isinstance(extensions, list)
    assert len(extensions) == 1
    extension = extensions[0]
    assert extension["requirements"]["scopes"] == ["document"]
    runtime = extension["runtimes"][0]
    assert runtime["code"]["page"] == f"{base}/addin/taskpane.html"
    action_ids = {action["id"] for action in runtime["actions"]}
    controls = [
        control
        for ribbon in extension["ribbons"]
        for tab in ribbon["tabs"]
        for group in tab["groups"]
        for control in group["controls"]
    ]
    assert controls
    assert all(control["actionId"] in action_ids for control in controls)
    for url in _urls_json(manifest):
        assert _local(url, base).is_file(), url


def test_the_shipped_xml_manifest_is_complete() -> None:
    check_xml((ADDIN / "manifest.xml").read_text(encoding="utf-8"), TEMPLATE_ORIGIN)


def test_the_shipped_unified_manifest_is_complete() -> None:
    check_json(json.loads((ADDIN / "manifest.json").read_text(encoding="utf-8")), TEMPLATE_ORIGIN)


def test_both_manifests_describe_the_same_add_in() -> None:
    root = ElementTree.fromstring((ADDIN / "manifest.xml").read_bytes())
    unified = json.loads((ADDIN / "manifest.json").read_text(encoding="utf-8"))
    assert root.findtext("o:Id", namespaces=NS) == unified["id"] == ADDIN_ID
    display = root.find("o:DisplayName", NS)
    assert display is not None
    assert display.attrib["DefaultValue"] == unified["name"]["short"]


@pytest.mark.parametrize(
    "url", ["https://compliance.example.com", "https://tools.example.com:8443/compliance/"]
)
def test_generated_manifests_point_at_the_given_server(url: str) -> None:
    options = ManifestOptions(url=url, version="2.3.4.5")
    text = manifest_xml(options)
    assert "localhost" not in text
    root = check_xml(text, options.base)
    assert root.findtext("o:Version", namespaces=NS) == "2.3.4.5"
    unified = manifest_json(ManifestOptions(url=url, version="2.3.4"))
    assert "localhost" not in json.dumps(unified)
    check_json(unified, options.base)


def test_sso_adds_web_application_info() -> None:
    client = "0b9c1e4e-3f43-4d6c-9d8a-5b1c2d3e4f50"
    options = ManifestOptions(url="https://ca.example.com", sso_client_id=client)
    root = ElementTree.fromstring(manifest_xml(options).encode())
    info = root.find("ov:VersionOverrides/ov:WebApplicationInfo", NS)
    assert info is not None
    assert info.findtext("ov:Id", namespaces=NS) == client
    assert info.findtext("ov:Resource", namespaces=NS) == f"api://ca.example.com/{client}"
    assert manifest_json(options)["webApplicationInfo"] == {
        "id": client,
        "resource": f"api://ca.example.com/{client}",
    }


def test_urls_office_cannot_load_are_refused() -> None:
    for bad in ("http://ca.example.com", "https://", "https://ca.example.com/?a=1", "ftp://x"):
        with pytest.raises(ValueError, match=r"https|host|query"):
            check_url(bad)
    assert four_part_version("0.1.0") == "0.1.0.0"
    assert four_part_version("1.2.3.dev4+g123") == "1.2.3.4"
    with pytest.raises(ValueError, match="four numbers"):
        manifest_xml(ManifestOptions(url="https://ca.example.com", version="1.2"))


def test_the_app_package_holds_the_manifest_and_its_icons() -> None:
    data = app_package(ManifestOptions(url="https://ca.example.com"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        assert names == {"manifest.json", manifest["icons"]["color"], manifest["icons"]["outline"]}
        assert (
            archive.read(manifest["icons"]["color"]) == (ADDIN / "assets/icon-192.png").read_bytes()
        )


def test_the_cli_writes_manifests(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["addin", "manifest", "--url", "https://ca.example.com"])
    assert result.exit_code == 0, result.output
    check_xml(result.stdout, "https://ca.example.com")
    target = tmp_path / "manifest.json"
    result = runner.invoke(
        cli,
        ["addin", "manifest", "--format", "json", "--url", "https://ca.example.com",
         "--id", "6f1c1b52-9d7e-4a55-8a29-0c6d7f3e2a11", "--name", "Compliance (test)",
         "-o", str(target)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["id"] == "6f1c1b52-9d7e-4a55-8a29-0c6d7f3e2a11"
    assert written["name"]["short"] == "Compliance (test)"
    package = tmp_path / "app.zip"
    result = runner.invoke(
        cli, ["addin", "package", "--url", "https://ca.example.com", "-o", str(package)]
    )
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(package)
    refused = runner.invoke(cli, ["addin", "manifest", "--url", "http://ca.example.com"])
    assert refused.exit_code == 2
    assert "HTTPS" in refused.output


def test_the_shipped_icons_are_what_make_icons_draws() -> None:
    for name, rows in icons().items():
        width, height, shipped = decode_png((ADDIN / "assets" / name).read_bytes())
        assert (width, height) == (len(rows[0]), len(rows))
        assert shipped == rows, f"{name} is stale: run python tests/addin/make_icons.py"


def test_the_api_serves_the_add_in(tmp_path: Path) -> None:
    # No lifespan (no database): only the static mount is exercised.
    client = TestClient(create_app(Settings(data_dir=tmp_path)))
    for path in (
        "/addin/taskpane.html",
        "/addin/standalone.html",
        "/addin/manifest.xml",
        "/addin/manifest.json",
        "/addin/taskpane.js",
        "/addin/word.js",
        "/addin/styles.css",
        "/addin/assets/icon-80.png",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert client.get("/addin/taskpane.js").headers["content-type"].startswith("text/javascript")
    assert (
        client.get("/addin/assets/icon-32.png").content
        == (ADDIN / "assets/icon-32.png").read_bytes()
    )
    assert client.get("/addin/", follow_redirects=False).status_code == 200
    root = ElementTree.fromstring(client.get("/addin/manifest.xml").content)
    for url in _urls_xml(root):
        path = urlsplit(url).path
        if path:
            assert client.get(path).status_code == 200, url
