"""`hub user add|list|disable`: console accounts, managed on the hub itself.

No account exists until one is added here: the first is made with `hub user add NAME --role admin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import psycopg

user_app = typer.Typer(help="Console accounts: add, list and disable operators, supervisors and admins.",
                       no_args_is_help=True)


def _connect() -> psycopg.Connection:
    from hub import cli, db

    settings = cli._settings("user")
    return db.connect(cli._database(settings), autocommit=True)


@user_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Sign-in name: a-z, 0-9, '.', '_' or '-'.")],
    role: Annotated[str, typer.Option(help="operator, supervisor or admin.")],
    name: Annotated[str | None, typer.Option(help="Display name on audit trails (default: the username).")] = None,
    generate: Annotated[bool, typer.Option("--generate", help="Make a random password and print it once.")] = False,
) -> None:
    """Create a console account; the password is asked for twice unless --generate."""
    from hub import accounts

    if role not in accounts.ROLES:
        typer.secho(f"--role must be one of {', '.join(accounts.ROLES)}", fg="red", err=True)
        raise typer.Exit(2)
    if generate:
        password = accounts.generate_password()
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _connect() as conn:
        try:
            user = accounts.create_user(conn, username, role, password, name)
        except accounts.AccountError as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"created {user.role} {user.username} ({user.display_name})")
    if generate:
        typer.echo(f"password (shown once): {password}")


@user_app.command("list")
def list_users() -> None:
    """Every account: username, role, display name, and whether it is disabled."""
    from hub import accounts

    with _connect() as conn:
        rows = accounts.list_users(conn)
    for row in rows:
        state = f"disabled {row['disabled_at']:%Y-%m-%d %H:%M}" if row["disabled_at"] else "active"
        typer.echo(f"{row['username']}\t{row['role']}\t{row['display_name']}\t{state}")
    if not rows:
        typer.echo("no accounts yet: run `hub user add NAME --role admin`", err=True)


@user_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The account to disable; its sessions end at once.")]) -> None:
    """Disable an account: it can no longer sign in and its open sessions end."""
    from hub import accounts

    with _connect() as conn:
        if not accounts.disable_user(conn, username):
            typer.secho(f"user {username!r} does not exist", fg="red", err=True)
            raise typer.Exit(1)
    typer.echo(f"disabled {username}")
