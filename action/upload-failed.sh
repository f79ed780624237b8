#!/usr/bin/env bash
# The SARIF upload step failed (it continues on error): say so once, and how to stop it.
set -euo pipefail
echo "::notice title=stacklint::The SARIF upload to code scanning failed, so findings are not in the Security tab. Code scanning may be off for this repository, or the job may lack the permission security-events: write. The lint itself ran; set upload-sarif: false to skip the upload."
