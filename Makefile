# Sangar editions — `make editions` builds dist/, `make test` runs the suite.
# Both set up everything first: system packages (apt), the venv, the project.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Fonts for the editions (DejaVu Sans Mono: the PDFs' monospace), PDF tools for the tests, gettext for catalog checks,
# HarfBuzz's subsetter so WeasyPrint does not fall back to fontTools (1.4x slower),
# Java + epubcheck to validate EPUBs, Chromium and Node (npm) for the browser tests (the tests
# run Chromium's headless shell, the same engine without the desktop browser's start-up).
SYSTEM_PACKAGES := fonts-noto-core fonts-dejavu-core poppler-utils gettext libharfbuzz-subset0 \
	libpango-1.0-0 libpangoft2-1.0-0 default-jre-headless epubcheck chromium chromium-headless-shell
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
ACE := $(VENV)/ace/node_modules/.bin/ace-puppeteer
PAGEFIND := $(VENV)/pagefind/node_modules/.bin/pagefind
LIGHTHOUSE := $(VENV)/lighthouse/node_modules/.bin/lighthouse

.PHONY: setup system-packages editions test bench clean
.DEFAULT_GOAL := editions

setup: system-packages $(VENV)/.installed $(AXE) $(ACE) $(PAGEFIND)

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null; then \
			sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
			echo "setup: installing system packages:" $$missing; \
			$$sudo apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "setup: this machine has no apt-get. Install these (Debian names) yourself:" $$missing; \
			echo "  fonts: Noto Naskh Arabic, Noto Sans Arabic, Noto Serif, Noto Sans; tools: pdftotext, pdffonts, msgfmt, epubcheck"; \
			exit 1; \
		fi; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# axe-core (accessibility rules) for the browser tests, from the npm registry.
$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4.14.1

# Ace by DAISY (EPUB accessibility) for the EPUB tests. Its electron dependency's install
# script downloads from outside the registries: skipped; Ace runs on the system Chromium.
$(ACE):
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --ignore-scripts \
		--prefix $(VENV)/ace @daisy/ace@1.4.6

# Pagefind (the site's search index, editions/search.py) from the npm registry: the binary
# comes in its platform package (@pagefind/linux-x64), nothing is downloaded from elsewhere.
# Keep the version in step with search.PAGEFIND.
$(PAGEFIND):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/pagefind pagefind@1.6.0

editions: setup
	$(BIN)/make-editions

test: setup
	$(BIN)/python -m pytest -q

# Lighthouse (page audits, `make bench`). 12.8.2: the newest release that runs on Node 20
# (13.x wants Node >= 22.19). Nothing to download (scripts skipped): it drives the system
# Chromium, which benchmarks/lighthouse.py names in CHROME_PATH.
$(LIGHTHOUSE):
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund --ignore-scripts \
		--prefix $(VENV)/lighthouse lighthouse@12.8.2

# Speed and scale (issue 12's archive-scale goals included), then Lighthouse on each page
# type: ~15 minutes on 2 cores. See benchmarks/README.md.
bench: setup $(LIGHTHOUSE)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/lighthouse.py --archive 1000 --runs 3
	SANGAR_BROWSER_ARCHIVE=1000 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_browser.py -k page_in_the_browser

clean:
	rm -rf $(VENV) dist-drafts .cache
	find dist -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
