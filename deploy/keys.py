"""Key pairs and demo tokens for a platform in containers (deploy/compose): `python -m deploy.keys
make DIR` writes the issuer's and the calling services' key pairs into DIR once (kept on later
runs); `python -m deploy.keys token DIR ROLE` prints a demo token signed with DIR's issuer key.

A real deployment never keeps the issuer's private key beside the services: it holds the public
keys only (docs/runbook.md "Secrets")."""

import argparse
import sys
from pathlib import Path

from deploy.run_local import CALLERS_OF, key_pair
from shared.auth import KNOWN_AGENCIES, Role, SigningKey, TokenIssuer

CALLERS = sorted({caller for callers in CALLERS_OF.values() for caller in callers})


def make(directory: Path) -> list[Path]:
    """The issuer's and each calling service's key pair under `directory`: the private keys made."""
    stems = [directory / "issuer", *(directory / f"{caller}-service" for caller in CALLERS)]
    for stem in stems:
        key_pair(stem)
    return [Path(f"{stem}.pem") for stem in stems]


def token(directory: Path, role: Role, *, hospital_code: str | None, agency: str | None) -> str:
    issuer = TokenIssuer(SigningKey.load(str(directory / "issuer.pem")), "assistance-platform")
    return issuer.mint(subject=f"{role.value}-demo", role=role, hospital_code=hospital_code, agency=agency)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.keys", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make", help="make the key pairs that are missing").add_argument("directory", type=Path)
    minting = sub.add_parser("token", help="print a demo token signed with the issuer key")
    minting.add_argument("directory", type=Path)
    minting.add_argument("role", choices=[role.value for role in Role if role is not Role.SERVICE])
    minting.add_argument("--hospital-code", help="his: the hospital the token is bound to")
    minting.add_argument("--agency", choices=sorted(KNOWN_AGENCIES), help="agency: which one")
    args = parser.parse_args(argv)
    if args.command == "make":
        for private_key in make(args.directory):
            print(f"{private_key} (public key beside it)")
    else:
        print(token(args.directory, Role(args.role), hospital_code=args.hospital_code, agency=args.agency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
