"""Frontend teams build on the merged OpenAPI alone: openapi-typescript must turn it into a client that
TypeScript accepts."""

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".run" / "node"
PACKAGES = ("openapi-typescript@7", "typescript@5")


def node_tools() -> Path:
    """openapi-typescript and tsc from the npm registry, installed once into .run/node."""
    if shutil.which("npm") is None:
        pytest.fail("npm is needed for the frontend contract check (Debian: apt-get install npm)")
    binaries = TOOLS / "node_modules" / ".bin"
    if not (binaries / "openapi-typescript").exists() or not (binaries / "tsc").exists():
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(TOOLS), *PACKAGES],
            check=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    return binaries


def generate_and_compile(spec: Path, client: Path) -> None:
    binaries = node_tools()
    generated = subprocess.run(
        [str(binaries / "openapi-typescript"), str(spec), "-o", str(client)], capture_output=True, text=True
    )
    assert generated.returncode == 0, generated.stderr
    assert "paths" in client.read_text()
    compiled = subprocess.run(
        [str(binaries / "tsc"), "--noEmit", "--strict", str(client)], capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


async def test_openapi_typescript_generates_a_client_that_compiles(api, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps((await api.get("/openapi.json")).json()))
    await asyncio.to_thread(generate_and_compile, spec, tmp_path / "schema.d.ts")
