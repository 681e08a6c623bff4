#!/usr/bin/env python3
"""Writes the benign half of the scanner's corpus: notes a developer's agent keeps, full of code that looks like
secrets and is not (config loading, environment lookups, placeholders, templates, test fixtures, hashes, UUIDs,
base64 test data, URLs without credentials), in many languages.

Each note is a short piece of prose with one to three snippets. The notes are fixed by the seed, so the file is the
same on every run. Every line is in the development split: the rules were tuned on these notes. The held-out split is
memory-safety-heldout.jsonl, written after the rules and measured, not tuned on.

    python3 eng/make-benign-notes.py > tests/Mnemo.Tests/Memory/Safety/benign-code-notes.jsonl
"""
import json
import random

SNIPPETS = [
    # Python: configuration from the environment
    'password = os.environ["DB_PASSWORD"]',
    'DB_PASSWORD = os.getenv("DB_PASSWORD")',
    'api_key = os.environ.get("OPENAI_API_KEY", "")',
    'SECRET_KEY = config("SECRET_KEY")',
    'SECRET_KEY = env("DJANGO_SECRET_KEY", default=None)',
    'token = secrets.token_urlsafe(16)',
    'session_secret = secrets.token_hex(32)',
    'password = getpass.getpass("Password: ")',
    'client_secret = settings.OAUTH_CLIENT_SECRET',
    'api_key = load_api_key_from_vault(path="kv/payments/stripe")',
    'password = keyring.get_password("smtp", username)',
    'db_url = f"postgresql://{user}:{password}@{host}:{port}/{name}"',
    'auth_token = request.headers.get("Authorization", "").removeprefix("Bearer ")',
    'access_token = response.json()["access_token"]',
    'password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())',
    'PASSWORD_MIN_LENGTH = 12',
    'password = None  # set by the fixture',
    'SECRET_KEY = "<set in .env>"',
    'api_key = "YOUR_API_KEY"',
    'token = "xxxxxxxxxxxxxxxxxxxx"',
    'password = "********"',
    # JavaScript / TypeScript
    'const apiKey = process.env.STRIPE_SECRET_KEY;',
    'const password = process.env["PGPASSWORD"] ?? "";',
    'const token = await getAccessToken({ scopes: ["repo"] });',
    'const secret = crypto.randomBytes(32).toString("hex");',
    'export const API_KEY = import.meta.env.VITE_API_KEY;',
    'const { password } = req.body;',
    'headers: { Authorization: `Bearer ${token}` },',
    'const clientSecret = config.get("auth.clientSecret");',
    'authToken: process.env.NPM_TOKEN,',
    'password: z.string().min(12).max(128),',
    # C#
    'var password = Environment.GetEnvironmentVariable("DB_PASSWORD");',
    'var apiKey = builder.Configuration["Anthropic:ApiKey"];',
    'options.ClientSecret = configuration.GetValue<string>("AzureAd:ClientSecret");',
    'var token = await credential.GetTokenAsync(new TokenRequestContext(scopes), ct);',
    'services.Configure<SmtpOptions>(configuration.GetSection("Smtp"));',
    'string connectionString = config.GetConnectionString("Default")!;',
    'var secret = RandomNumberGenerator.GetHexString(64, lowercase: true);',
    'public string Password { get; init; } = string.Empty;',
    # Java / Kotlin
    'String password = System.getenv("DB_PASSWORD");',
    '@Value("${spring.datasource.password}") private String password;',
    'val apiKey = BuildConfig.MAPS_API_KEY',
    'String token = jwtService.issue(user.getId(), Duration.ofMinutes(15));',
    'spring.datasource.password=${DB_PASSWORD}',
    # Go
    'password := os.Getenv("DB_PASSWORD")',
    'apiKey, ok := os.LookupEnv("API_KEY")',
    'token, err := oauthConfig.Exchange(ctx, code)',
    'secret := []byte(viper.GetString("jwt.secret"))',
    # Ruby / PHP / Rust / shell
    'password = ENV.fetch("DATABASE_PASSWORD")',
    'secret_key_base = Rails.application.credentials.secret_key_base',
    '$password = getenv("DB_PASSWORD");',
    "'password' => env('DB_PASSWORD'),",
    'let api_key = std::env::var("API_KEY").expect("API_KEY is not set");',
    'let token = env::var("GITHUB_TOKEN").unwrap_or_default();',
    'export PGPASSWORD="$(pass show db/prod)"',
    'psql "host=$PGHOST user=$PGUSER password=$PGPASSWORD dbname=app"',
    'curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user',
    'echo "$NPM_TOKEN" | npm login --registry https://registry.npmjs.org',
    'aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"',
    'read -rsp "Password: " password',
    # CI, containers, infrastructure
    'token: ${{ secrets.GITHUB_TOKEN }}',
    'password: ${{ secrets.REGISTRY_PASSWORD }}',
    'POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}',
    'password: "{{ vault_db_password }}"',
    'secretKeyRef: { name: db-credentials, key: password }',
    'password = var.db_password',
    'master_password = random_password.db.result',
    'api_key = data.aws_ssm_parameter.api_key.value',
    'ARG NPM_TOKEN',
    'RUN --mount=type=secret,id=npmrc cp /run/secrets/npmrc ~/.npmrc',
    'image: ghcr.io/acme/billing@sha256:9b2a5c8e1f3d4a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
    # Connection strings and URLs without credentials
    'Host=localhost;Port=5432;Database=app;Username=app;Password=${PGPASSWORD}',
    'Server=tcp:db.internal,1433;Database=orders;Authentication=Active Directory Default;',
    'postgres://localhost:5432/app_test',
    'redis://cache.internal:6379/0',
    'mongodb://mongo-0.mongo,mongo-1.mongo/app?replicaSet=rs0',
    'https://api.example.com/v1/users?page=2&per_page=50',
    'https://github.com/acme/billing/pull/412#discussion_r1234567',
    'amqp://rabbitmq.internal:5672/%2f',
    'https://user@bitbucket.example.com/scm/app/repo.git',
    'jdbc:postgresql://db.internal:5432/app?sslmode=require',
    # Hashes, ids, encodings, test data
    'commit 3f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345',
    'sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'md5 of the fixture: 9e107d9d372bb6826bd81d3542a419d6',
    'request id 7c9e6679-7425-40de-944b-e07fc1f90ae7',
    'tenant 0f8fad5b-d9cb-469f-a165-70867728950e',
    'base64 of "hello world": aGVsbG8gd29ybGQ=',
    'fixture payload: eyAibmFtZSI6ICJ0ZXN0IiB9 (base64 of a tiny JSON object)',
    'The PNG header is iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'integrity: sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+5sLZxn2zq9l0kmp4+Y3qRDeXK2fT+cV2CE2ww==',
    'ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
    'The trace id was 4bf92f3577b34da6a3ce929d0e0e4736.',
    'ARN: arn:aws:iam::123456789012:role/ci-deploy',
    'Resource id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app',
    'assert hash_password("") != hash_password(" ")',
    'expect(screen.getByLabelText("Password")).toBeInTheDocument();',
    'Password reset tokens expire after 30 minutes; see ResetTokenService.',
    'The SECRET_KEY setting must be at least 50 characters in production.',
    'Rotate the API key every 90 days; the runbook is docs/ops/rotate-keys.md.',
    'token_type: "Bearer", expires_in: 3600',
    'private_key_path = "~/.ssh/id_ed25519"',
    'ssh-keygen -t ed25519 -C "ci@acme.example"',
    'openssl rand -base64 32 > secret.txt  # generated on the host, never committed',
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@ci',
    '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----',
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----',
    'The key id is key_01HZY3V4Q8T5G6K2M9N7P1R3S5 (an identifier, not the key).',
    'npm package: @acme/payments-sdk@4.12.0',
    'version: 2.14.3+build.20261104',
    'Use the ${placeholder} syntax in templates, for example ${user.name}.',
    '.env.example: DB_PASSWORD=changeme',
    'DATABASE_URL=postgres://localhost/app_dev',
    'API_KEY=',
    'SECRET_KEY=your-secret-key-here',
    'TOKEN=<paste the token from the dashboard>',
]

TOPICS = [
    "Config loading in the billing service", "How the worker reads its settings", "Notes from the auth refactor",
    "Onboarding: running the app locally", "Code review pattern: configuration", "Deployment checklist",
    "Test fixtures for the login flow", "What the CI job needs", "Secrets handling, as the team does it",
    "Debugging the staging outage", "Migration plan for the orders database", "How the SDK authenticates",
    "Kubernetes manifests, reviewed", "Local development tips", "Patterns seen in pull requests",
]

PROSE = [
    "Reviewed today; this is the pattern to keep.",
    "The value never lives in the repository: it is read at start-up.",
    "Flagged in review as fine: nothing is hard-coded.",
    "Same shape in every service; keep it that way.",
    "Remember this for the next review of this module.",
    "The user prefers this style over reading config files directly.",
    "Works in CI and locally; the variable is set by the platform.",
    "Seen in three PRs this week.",
]


def notes(count, seed):
    rng = random.Random(seed)
    seen = set()
    while len(seen) < count:
        topic = rng.choice(TOPICS)
        picked = rng.sample(SNIPPETS, rng.randint(1, 3))
        fence = rng.choice(["```", "    ", "- `"])
        if fence == "```":
            body = "```\n" + "\n".join(picked) + "\n```"
        elif fence == "    ":
            body = "\n".join("    " + line for snippet in picked for line in snippet.split("\n"))
        else:
            body = "\n".join("- `" + snippet.replace("\n", " ") + "`" if "\n" not in snippet else snippet for snippet in picked)
        text = f"# {topic}\n{rng.choice(PROSE)}\n\n{body}\n"
        if text not in seen:
            seen.add(text)
            yield text


def main():
    for text in notes(320, 20261205):
        print(json.dumps({"label": "benign", "split": "dev", "text": text}, ensure_ascii=False))
    for snippet in SNIPPETS:  # each snippet alone too, so none hides behind another
        print(json.dumps({"label": "benign", "split": "dev", "text": snippet}, ensure_ascii=False))


if __name__ == "__main__":
    main()
