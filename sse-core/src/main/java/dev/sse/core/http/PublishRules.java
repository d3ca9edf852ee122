package dev.sse.core.http;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@code POST} that changes something (a publication, a prompt) is judged and answered, the same on every
 * runtime. Immutable; any thread.
 *
 * <p>Cross-origin, stricter than a stream's, since a write is what a cross-site page wants: a request without
 * {@code Origin} (curl, a server) is allowed; so is a listed origin, or {@code *}; so is the server's own, which is
 * the configured {@code publicOrigin} when there is one, else the request's own but only under {@code localhost} or
 * an IP address: under any other name, {@code Origin} and {@code Host} could both be an attacker's page rebound by
 * DNS to this server.
 *
 * <p>A publication: {@code event} and the topic parameter from the (strictly decoded) query, each at most once;
 * {@code 202 {"id":"..."}} once broadcast. Refusals, each JSON: {@code 403} (origin, or the application's policy),
 * {@code 400} (query, event with CR/LF/NUL, body not UTF-8, malformed chunks), {@code 413} (body over
 * {@code maxBodyBytes}), {@code 408} (body too slow or late), {@code 503} with {@code Retry-After: 1} (overload) or
 * {@code Retry-After: 5} (the broadcast failed or the server stops).
 */
public final class PublishRules {

    /** The {@code Allow} of an endpoint that streams and publishes. */
    public static final String ALLOW = "GET, HEAD, POST, OPTIONS";
    /** What a refused publication may not do, in its message. */
    public static final String ACTION = "publish";
    /** {@code Retry-After}, in seconds, when load is shed: an overload is usually gone in a moment. */
    public static final String OVERLOADED_RETRY_AFTER = "1";
    /** {@code Retry-After}, in seconds, when a broadcast failed: a backplane outage or a restart takes a while. */
    public static final String UNAVAILABLE_RETRY_AFTER = "5";
    /** The message of a {@code 503} while the server stops. */
    public static final String SHUTTING_DOWN = "the server is shutting down";

    private final Set<String> allowedOrigins;
    private final boolean credentials;
    private final String publicOrigin;
    private final String topicParameter;

    /**
     * The rules of one endpoint.
     *
     * @param allowedOrigins origins allowed besides the server's own, {@code *} for any
     * @param credentials whether cross-origin requests may carry credentials
     * @param publicOrigin the server's own origin as browsers see it, or {@code null}
     * @param topicParameter the query parameter naming the topic (default {@code topic})
     */
    public PublishRules(Collection<String> allowedOrigins, boolean credentials, String publicOrigin,
                        String topicParameter) {
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.credentials = credentials;
        this.publicOrigin = publicOrigin;
        this.topicParameter = Objects.requireNonNull(topicParameter, "topicParameter");
    }

    /**
     * What a publication asks for.
     *
     * @param event the event type, {@code null} for {@code message}
     * @param topic the topic, {@code null} for every stream
     */
    public record Target(String event, String topic) {
    }

    /**
     * Whether a page of this origin may write here (see the class comment).
     *
     * @param request the request
     * @param origin its {@code Origin}
     * @return whether allowed
     */
    public boolean originAllowed(RequestView request, String origin) {
        if (allowedOrigins.contains(origin) || allowedOrigins.contains("*")) {
            return true;
        }
        if (publicOrigin != null) {
            return origin.equalsIgnoreCase(publicOrigin);
        }
        // "null" (a sandboxed frame, a file: page) never equals the server's origin and so stays refused.
        return origin.equalsIgnoreCase(RequestView.ownOrigin(request)) && unrebindable(request.host());
    }

    /**
     * Admits a {@code POST} by its {@code Origin}.
     *
     * @param request the request
     * @param action what is refused, for the message, e.g. {@code publish}
     * @return acceptance with the CORS headers to add (none without {@code Origin}); or {@code 403} with
     *         {@code {"error":"origin ... may not <action> here"}}
     */
    public Decision<Void> admitOrigin(RequestView request, String action) {
        String origin = request.header("Origin");
        if (origin == null) {
            return Decision.accept(null, List.of());
        }
        List<Header> headers = new ArrayList<>(3);
        headers.add(new Header("Vary", "Origin"));
        if (!originAllowed(request, origin)) {
            return Decision.refuse(HttpAnswer.error(403, null, refusal(origin, action)).withHeadersFirst(headers));
        }
        allowOrigin(headers, origin);
        return Decision.accept(null, headers);
    }

    /**
     * Answers the CORS preflight of a {@code POST}: {@code 204} for no or an allowed origin (with the CORS headers for
     * the latter, echoing the headers asked for, a 600 s max age), {@code 403} with JSON for any other.
     *
     * @param request the {@code OPTIONS} request
     * @param allow the {@code Allow} value
     * @param action what is refused, for the message
     * @return the answer
     */
    public HttpAnswer preflight(RequestView request, String allow, String action) {
        String origin = request.header("Origin");
        List<Header> headers = new ArrayList<>();
        headers.add(new Header("Vary", "Origin"));
        headers.add(new Header("Allow", allow));
        if (origin == null) {
            return HttpAnswer.of(204, headers.toArray(new Header[0]));
        }
        if (!originAllowed(request, origin)) {
            return HttpAnswer.error(403, null, refusal(origin, action)).withHeadersFirst(headers);
        }
        allowOrigin(headers, origin);
        headers.add(new Header("Access-Control-Allow-Methods", "POST"));
        String asked = request.header("Access-Control-Request-Headers");
        if (asked != null && !asked.isBlank()) {
            headers.add(new Header("Access-Control-Allow-Headers", asked));
        }
        headers.add(new Header("Access-Control-Max-Age", "600"));
        return HttpAnswer.of(204, headers.toArray(new Header[0]));
    }

    /**
     * What a publication asks for, from its query (never from a form body).
     *
     * @param request the request
     * @return the event and topic; or {@code 400} naming the parameter
     */
    public Decision<Target> target(RequestView request) {
        Decision<Map<String, List<String>>> q = RequestText.query(request.rawQuery());
        if (!q.accepted()) {
            return q.asRefusal();
        }
        Decision<String> event = RequestText.single(q.value(), "event");
        if (!event.accepted()) {
            return event.asRefusal();
        }
        Decision<String> topic = RequestText.single(q.value(), topicParameter);
        if (!topic.accepted()) {
            return topic.asRefusal();
        }
        String e = event.value();
        if (e != null) {
            for (int i = 0; i < e.length(); i++) {
                char c = e.charAt(i);
                if (c == '\r' || c == '\n' || c == '\0') {
                    String what = c == '\r' ? "CR" : c == '\n' ? "LF" : "NUL";
                    return Decision.refuse(HttpAnswer.error(400, "event", "event must not contain CR, LF or NUL "
                            + "(found " + what + " at index " + i + ")"));
                }
            }
        }
        return Decision.accept(new Target(e, topic.value()), List.of());
    }

    /** @return {@code 403}: the application's policy refused this request */
    public static HttpAnswer forbidden() {
        return HttpAnswer.error(403, null, "this request may not publish here");
    }

    /**
     * @param id the broadcast event's id
     * @return {@code 202 {"id":"..."}}
     */
    public static HttpAnswer published(String id) {
        return HttpAnswer.json(202, "{\"id\":" + Json.quote(id) + "}");
    }

    /**
     * @param maxBodyBytes the limit
     * @return {@code 413} naming {@code body}
     */
    public static HttpAnswer bodyTooLarge(int maxBodyBytes) {
        return HttpAnswer.error(413, "body", "body must be at most " + maxBodyBytes + " bytes");
    }

    /**
     * A body that did not arrive whole: {@code 408} naming {@code body}.
     *
     * @param message why, e.g. {@code the request body did not arrive in time}
     * @return the answer
     */
    public static HttpAnswer bodyLate(String message) {
        return HttpAnswer.error(408, "body", message);
    }

    /**
     * Load shed before a body is held or a broadcast queued: {@code 503} with {@code Retry-After: 1}.
     *
     * @param message what is too much
     * @return the answer
     */
    public static HttpAnswer overloaded(String message) {
        return HttpAnswer.error(503, null, message).withHeadersFirst(List.of(new Header("Retry-After",
                OVERLOADED_RETRY_AFTER)));
    }

    /**
     * A broadcast that failed or could not run: {@code 503} with {@code Retry-After: 5}.
     *
     * @param message why
     * @return the answer
     */
    public static HttpAnswer unavailable(String message) {
        return HttpAnswer.error(503, null, message).withHeadersFirst(List.of(new Header("Retry-After",
                UNAVAILABLE_RETRY_AFTER)));
    }

    /**
     * Whether no one else can point the name at this server: {@code localhost} or an IP address.
     *
     * @param host the host name
     * @return whether it cannot be rebound
     */
    public static boolean unrebindable(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("[")
                || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || h.indexOf(':') >= 0;
    }

    private void allowOrigin(List<Header> headers, String origin) {
        headers.add(new Header("Access-Control-Allow-Origin", origin));
        if (credentials) {
            headers.add(new Header("Access-Control-Allow-Credentials", "true"));
        }
    }

    private static String refusal(String origin, String action) {
        return "origin " + origin + " may not " + action + " here";
    }
}
