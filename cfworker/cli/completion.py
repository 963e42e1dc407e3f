"""`cfworker completion bash|zsh|fish`: the shell's completion script, and what values complete.

Commands and flags complete from click itself; values complete from what they can be: `--env`
from the environments of the config found from the current folder, `--template` from the bundled
templates, a DNS record's TYPE from the types `dns set` takes.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem, get_completion_class

from cfworker.cli import cli

SHELLS = ("bash", "zsh", "fish")
PROG = "cfworker"
COMPLETE_VAR = "_CFWORKER_COMPLETE"


@cli.command("completion", epilog="""\\b
EXAMPLES
  cfworker completion bash > ~/.local/share/bash-completion/completions/cfworker
  cfworker completion zsh > "${fpath[1]}/_cfworker"
  cfworker completion fish > ~/.config/fish/completions/cfworker.fish
""")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (commands, flags, --env names, templates, DNS types)."""
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, PROG, COMPLETE_VAR).source())


def complete_env(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The [env.NAME] tables of the config the command would read (best effort: none on any problem)."""
    try:
        from cfworker.config.loader import find_config, parse_config, read_config_text

        config = ctx.params.get("config")
        path = Path(config) if config else find_config(Path.cwd())
        raw = parse_config(read_config_text(path, str(path)), path, str(path)).raw
    except Exception:  # completion must never print an error into the shell
        return []
    envs = raw.get("env") if isinstance(raw, dict) else None
    names = sorted(k for k, v in envs.items() if isinstance(v, dict)) if isinstance(envs, dict) else []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def complete_template(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from cfworker.scaffold import list_templates

    return [CompletionItem(t.name, help=t.description) for t in list_templates() if t.name.startswith(incomplete)]


def complete_dns_type(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from cfworker.config.hooks import DNS_TYPES

    return [CompletionItem(t) for t in DNS_TYPES if t.startswith(incomplete.upper())]
