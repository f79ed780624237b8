use super::*;

#[test]
fn placeholders() {
    for v in [
        "change_me",
        "changeme",
        "CHANGEME",
        "change-me-please",
        "change_this_to_secure_password",
        "change_this_to_a_secure_random_key_minimum_32_characters",
        "please_change_me",
        "replace_me",
        "replace-with-a-real-token",
        "your_api_key_here",
        "your-secret",
        "YourPassword",
        "generated_key_here",
        "<your-token>",
        "[api key]",
        "xxx",
        "XXXX-XXXX-XXXX",
        "sk-...",
        "sk-proj-...",
        "...",
        "secret",
        "password",
        "TODO",
        "todo: generate one",
        "example",
        "example-secret-key",
        "placeholder",
        "***",
        "'<PRIVKEY>'",
        "\"changeme\"",
        // Values that describe the secret (the corpus's examples).
        "changePassword",
        "changeRunnerAuthToken",
        "YourOpenAiApiKey",
        "YourNgrokAuthToken",
        "MySecureDatabasePassword",
        "MyVeryStrongLoginPasswordForPlausible",
        "super_strong_password",
        "my-secure-smtp-password",
        "My-HTTP-API-Token",
        "ThisShouldBeAVerySecureAndLongSecretStringNobodyKnows",
        "SomeRandomStringOf32CharsExactly",
        "ghp_1234567890abcdefghijklmnopqrstuvwxyz",
        "sk_test_abcdefghijklmnopqrstuvwx",
    ] {
        assert!(is_placeholder(v), "{v}");
    }
    for v in [
        "",
        "postgres",
        "admin123",
        "3f9c1e7a5b2d48c6a0e4f7b19d2c8a61",
        "hunter2",
        "s3cr3t-Xk29",
        "https://example.com/token",
        "/run/secrets/db_password",
        "none",
        "exchange",
        "yourself2024",
        "xx",
        "django-insecure-7f3k2",
        "'",
        "\"\"",
        // Real passwords and passphrases that happen to be words.
        "unplug6-coherent-outlast-undergo-plow",
        "Correct-Horse-Battery-Staple",
        "ChangeTheWorld+2024",
        "J5brHrAXFLQSif0K",
        "TheKey",
        "mirotalkp2p_jwt_secret",
        "MyDogRex",
    ] {
        assert!(!is_placeholder(v), "{v}");
    }
}

#[test]
fn weak_values() {
    use Weakness::*;
    for (keys, v, want) in [
        (&["SECRET_KEY"][..], "app-secret-key", OwnName),
        (
            &["RABBITMQ_ERLANG_COOKIE"][..],
            "secret-erlang-cookie",
            OwnName,
        ),
        (&["JWT_SIGNING_KEY"][..], "insecure-dev-key", OwnName),
        (&["POSTGRES_PASSWORD"][..], "postgres", OwnName),
        (
            &["POSTGRES_PASSWORD", "DB_PASS"][..],
            "'PostgresPassword'",
            OwnName,
        ),
        (&["MEILI_MASTER_KEY"][..], "masterkey", OwnName),
        (&["DB_PASSWORD"][..], "admin", KnownValue),
        (&["DB_PASSWORD"][..], "123456", KnownValue),
        (&["DB_PASSWORD"][..], "\"mysecretpassword\"", KnownValue),
        (&["MINIO_ROOT_PASSWORD"][..], "minioadmin", KnownValue),
        (&["DB_PASSWORD"][..], "SuperSecret", KnownValue),
        (&["DB_PASSWORD"][..], "changeme!", Placeholder),
    ] {
        assert_eq!(weakness(keys, v, false), Some(want), "{keys:?} {v}");
    }
    for (keys, v) in [
        (&["SECRET_KEY"][..], "7c1d4a8f9d4c2a7f"),
        (&["SECRET_KEY"][..], "app-key-2024"),
        (&["SECRET_KEY"][..], "app"),
        (&["POSTGRES_PASSWORD"][..], "postgres-Xk29"),
        (&["SECRET_ADMINS"][..], "admin@example.com,root@example.com"),
        (&["ADMIN_TOKEN"][..], "admin@example.com"),
        (&["DB_PASSWORD"][..], ""),
        (&["DB_PASSWORD"][..], "${OTHER}"),
        (&["DB_PASSWORD"][..], "hunter2"),
    ] {
        assert_eq!(weakness(keys, v, false), None, "{keys:?} {v}");
    }
}

#[test]
fn secret_settings() {
    for k in [
        "POSTGRES_PASSWORD",
        "JWT_SECRET_KEY",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
    ] {
        assert!(is_secret_setting(k), "{k}");
    }
    for k in [
        "PASSWORD_RESET_URL",
        "JWT_SECRET_FILE",
        "TOKEN_EXPIRE_MINUTES",
        "POSTGRES_PASSWORD_FILE",
        "PUBLIC_KEY",
        "POSTGRES_USER",
        "STORAGE_ACCESS_KEY",
        "MINIO_ACCESS_KEY",
        "ADMIN_USERS",
        "PASSWORD_RESET_USERS",
    ] {
        assert!(!is_secret_setting(k), "{k}");
    }
}
