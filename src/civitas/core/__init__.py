"""Cross-cutting pieces every domain uses: config, db, tenancy, auth, errors, i18n, jobs."""
