"""What cfworker pins about a native tool shipped in per-platform npm packages (pure).

A `NpmBinary` names the tool, its pinned version, the npm package and the sha512 integrity
(npm's `dist.integrity`) for each platform, and where the executable sits inside the
package tarball. Platforms use esbuild's names (`linux-x64`, `darwin-arm64`, `win32-x64`);
each tool maps them onto its own package names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_ARCH = {"x86_64": "x64", "amd64": "x64", "x64": "x64", "aarch64": "arm64", "arm64": "arm64"}
_OS = {"linux": "linux", "darwin": "darwin", "win32": "win32", "cygwin": "win32"}


def platform_key(sys_platform: str, machine: str) -> str | None:
    """cfworker's name for an OS/CPU pair (`linux-x64`, `darwin-arm64`, ...), None if unknown."""
    os_name = _OS.get(sys_platform)
    arch = _ARCH.get(machine.lower())
    return f"{os_name}-{arch}" if os_name and arch else None


@dataclass(frozen=True, slots=True, eq=False)
class NpmBinary:
    """A pinned native tool: which npm package holds it on each platform, and its checksums."""

    name: str  # "esbuild", "workerd": also the cache directory and the binary's base name
    version: str
    env_var: str  # e.g. CFWORKER_ESBUILD: an explicit path that beats every other source
    packages: Mapping[str, str]  # platform -> npm package name (no version)
    integrity: Mapping[str, str]  # platform -> sha512 SRI of that package's tarball
    version_output: str  # what `<binary> --version` prints for the pinned version
    windows_member: str  # path of the executable inside win32 tarballs
    max_bytes: int = 512 * 1024 * 1024  # refuse absurd archive members

    def binary_name(self, platform: str) -> str:
        """File name of the executable on that platform."""
        return f"{self.name}.exe" if platform.startswith("win32") else self.name

    def member(self, platform: str) -> str:
        """Path of the executable inside the platform package tarball."""
        return self.windows_member if platform.startswith("win32") else f"package/bin/{self.name}"

    def package_spec(self, platform: str) -> str:
        """`<package>@<version>` for npm, e.g. `@esbuild/linux-x64@0.28.2`."""
        return f"{self.packages[platform]}@{self.version}"

    def managed_path(self, cache: Path, platform: str, version: str | None = None) -> Path:
        """`<cache>/<name>/<version>/<platform>/<binary>`: one managed copy per version and platform."""
        return cache / self.name / (version or self.version) / platform / self.binary_name(platform)


@dataclass(frozen=True, slots=True)
class ToolBinary:
    """The executable in use, where it came from, and anything worth telling the user."""

    path: Path
    source: str  # e.g. "env CFWORKER_ESBUILD", "project node_modules (...)", "cfworker cache (...)"
    notes: tuple[str, ...] = ()
    managed: bool = False  # the pinned, verified copy (so its version is known without running it)
