# Shared by scripts/test and scripts/serve: create or update .venv with the
# project installed (editable) plus the given extra, reinstalling only when
# pyproject.toml changed. The extra may name several, comma-separated ("test,ocr").
ensure_venv() {
    local extra="${1:-}"
    local py="${PYTHON:-python3}"
    if [ ! -x .venv/bin/python ]; then
        echo "Creating .venv"
        "$py" -m venv .venv
    fi
    local spec="."
    [ -n "$extra" ] && spec=".[$extra]"
    local stamp=".venv/.fazhi-installed-$extra"
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing fazhi-search${extra:+ with [$extra]} into .venv"
        .venv/bin/python -m pip install -q --upgrade pip >/dev/null
        .venv/bin/python -m pip install -q -e "$spec"
        echo "$want" > "$stamp"
    fi
}
