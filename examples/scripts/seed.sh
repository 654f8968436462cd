#!/bin/sh
# A custom command (`kloop run seed`): kloop passes the project's variables in the environment.
echo "seeding ${NAMESPACE} ($1) for ${TITLE}"
