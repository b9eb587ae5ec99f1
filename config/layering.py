"""Who may import whom, checked by import-linter (`python3 dev.py lint-imports`, and first
thing in `python3 dev.py test`).

    config                       settings, URLconfs, websocket routes, Celery
      ↓
    verticals                    the business apps, grouped by tenant type (VERTICALS)
      ↓
    foundation                   what every vertical uses (FOUNDATION)

- Nothing imports upwards: the foundation imports no vertical and no config module, a
  vertical imports no config module.
- A vertical group never imports another group (the academy's apps nothing of the store's).
- Inside a group, the apps are layered too (GROUP_LAYERS: the roster and the portal build on
  the academy, never the reverse).

Apps that are declared here but not written yet are left out of the contracts until their
package exists under apps/, so the verticals to come are covered from their first commit.
Adding an app: put it in FOUNDATION or in its tenant type's group (README, "Adding a
vertical"). Standard library only: dev.py reads this before Django is set up.
"""

from __future__ import annotations

from pathlib import Path

FOUNDATION = [
    "apps.core",
    "apps.accounts",
    "apps.tenancy",
    "apps.audit",
    "apps.identity",
    "apps.ledger",
    "apps.ops",
    "apps.notifications",
    "apps.payments",
    "apps.inference",
    "apps.media",
]

# tenant type → its apps; one vertical group each
VERTICALS = {
    "academy": ["apps.academy", "apps.roster", "apps.portal"],
    "zone": ["apps.learning", "apps.problems", "apps.kzone"],
    "store": ["apps.stores"],
    "club": ["apps.wallet", "apps.club"],
}

# Inside a group: layers from the top ("a | b": a and b independent of each other).
GROUP_LAYERS = {
    "academy": ["apps.roster | apps.portal", "apps.academy"],
    "zone": ["apps.problems", "apps.learning | apps.kzone"],
    "club": ["apps.club", "apps.wallet"],
}

ROOT = Path(__file__).resolve().parent.parent


def exists(module: str, root: Path = ROOT) -> bool:
    path = root.joinpath(*module.split("."))
    return (path / "__init__.py").exists() or path.with_suffix(".py").exists()


def contracts(root: Path = ROOT) -> str:
    """The import-linter configuration (INI) for the apps that exist under `root`."""

    def present(modules: list[str]) -> list[str]:
        return [m for m in modules if exists(m, root)]

    foundation = present(FOUNDATION)
    groups = {kind: present(apps) for kind, apps in VERTICALS.items()}
    groups = {kind: apps for kind, apps in groups.items() if apps}
    verticals = [app for apps in groups.values() for app in apps]
    sections = [
        "[importlinter]\nroot_packages =\n    apps\n    config\ninclude_external_packages = False\n",
        _section(
            "layers",
            "config above the verticals above the foundation",
            "layers",
            layers=["config", " : ".join(verticals), " : ".join(foundation)],
        ),
    ]
    for kind, apps in groups.items():
        others = [app for other, other_apps in groups.items() if other != kind for app in other_apps]
        if others:
            sections.append(
                _section(
                    f"{kind}-independent",
                    f"the {kind} vertical imports no other vertical",
                    "forbidden",
                    source_modules=apps,
                    forbidden_modules=others,
                )
            )
        layers = []
        for layer in GROUP_LAYERS.get(kind, []):
            names = [name.strip() for name in layer.split("|")]
            kept = [name for name in names if name in apps]
            if kept:
                layers.append(" | ".join(kept))
        if sum(len(layer.split("|")) for layer in layers) > 1:
            sections.append(_section(f"{kind}-inside", f"the {kind} vertical's own layers", "layers", layers=layers))
    return "\n".join(sections)


def _section(key: str, name: str, kind: str, **lists: list[str]) -> str:
    lines = [f"[importlinter:contract:{key}]", f"name = {name}", f"type = {kind}"]
    for option, values in lists.items():
        lines.append(f"{option} =")
        lines.extend(f"    {value}" for value in values)
    return "\n".join(lines) + "\n"
