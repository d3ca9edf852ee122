package dev.sse.servlet;

import jakarta.servlet.http.HttpServletRequest;

/** {@link PublishPolicy#open()}: a named class, so that logs and {@code toString} say which policy is in force. */
enum OpenPublishing implements PublishPolicy {
    INSTANCE;

    @Override
    public boolean mayPublish(HttpServletRequest request, String event, String topic) {
        return true;
    }

    @Override
    public String toString() {
        return "open";
    }
}
