# Sourced by scripts/stack (service_env): the notification service's settings
# on a native stack, printed as NAME=value lines. Email goes to MailDev, SMS,
# APNs and FCM to the fake SaaS (crates/fakes) with the development keys.
if [[ -n ${FAKES_PORT:-} ]]; then
    fakes="http://127.0.0.1:$FAKES_PORT"
    keys="$ROOT/config/dev-keys"
    for kind in transactional promotional; do
        echo "APP_NOTIFICATION__SMS__$(upper "$kind")__PROVIDER=twilio"
        echo "APP_NOTIFICATION__SMS__$(upper "$kind")__BASE_URL=$fakes"
        echo "APP_NOTIFICATION__SMS__$(upper "$kind")__ACCOUNT_SID=AC$kind"
    done
    echo "APP_NOTIFICATION__APNS__ENABLED=true"
    echo "APP_NOTIFICATION__APNS__BASE_URL=$fakes"
    echo "APP_NOTIFICATION__APNS__PRIVATE_KEY_FILE=$keys/apns-dev.p8"
    echo "APP_NOTIFICATION__FCM__ENABLED=true"
    echo "APP_NOTIFICATION__FCM__BASE_URL=$fakes"
    echo "APP_NOTIFICATION__FCM__TOKEN_URL=$fakes/token"
    echo "APP_NOTIFICATION__FCM__SERVICE_ACCOUNT_FILE=$keys/fcm-dev-service-account.json"
fi
echo "APP_NOTIFICATION__EMAIL__PORT=$SMTP_PORT"
