package dev.sse.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection attempt: builds the request, sends it, follows redirects, and sorts the answer by the client's
 * status and content-type rules into an open stream or a classified failure. It knows nothing of retries, events or
 * consumers: whether and when to try again is the {@link Reconnector}'s business.
 *
 * <p>Threads: {@link #connect} on the reader thread only; {@link #abort} from any thread. The pending response and
 * the body being read are published in volatile fields for {@link #abort}; {@link #connect} checks {@code closed}
 * again after publishing each, so a response that arrives while the client closes is released by one of the two.
 */
final class Connector {

    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);
    private static final int MAX_REDIRECTS = 20;
    private static final int EXCERPT_BYTES = 512;
    private static final Duration EXCERPT_WAIT = Duration.ofSeconds(1);

    /** How an attempt ended. */
    sealed interface Result {
    }

    /** 200 with {@code text/event-stream}: the body is open, and is the caller's to read and close. */
    record Opened(Body body, int status, HttpHeaders headers, HttpClient.Version version) implements Result {
    }

    /** 204: the server wants no more requests. */
    record NoContent(int status, HttpHeaders headers) implements Result {
    }

    /** The attempt failed; a fatal failure is not worth repeating, another may be retried after {@code retryAfter}. */
    record Failed(SseException error, boolean fatal, Duration retryAfter) implements Result {
    }

    /** The client closed while the attempt was under way. */
    record Cancelled() implements Result {
    }

    private static final Cancelled CANCELLED = new Cancelled();

    private final URI uri;
    private final String method;
    private final Supplier<HttpRequest.BodyPublisher> body;
    private final List<String[]> fixedHeaders;
    private final Supplier<Map<String, String>> attemptHeaders;
    private final Duration connectTimeout;
    private final HttpClient http;
    private final String name;
    private final BooleanSupplier closed;

    private volatile CompletableFuture<?> pendingResponse;
    private volatile Body currentBody;

    Connector(SseClient.Builder settings, HttpClient http, String name, BooleanSupplier closed) {
        this.uri = settings.uri;
        this.method = settings.method;
        this.body = settings.body;
        this.fixedHeaders = List.copyOf(settings.fixedHeaders);
        this.attemptHeaders = settings.attemptHeaders;
        this.connectTimeout = settings.connectTimeout;
        this.http = http;
        this.name = name;
        this.closed = closed;
    }

    /**
     * Makes one attempt, following redirects.
     *
     * @param lastEventId sent as {@code Last-Event-ID} when not empty and sendable
     * @return the open stream, or why there is none
     */
    Result connect(String lastEventId) {
        URI target = uri;
        String currentMethod = method;
        boolean withBody = true;
        Set<URI> seen = new HashSet<>();
        seen.add(target);
        for (int hops = 0; ; hops++) {
            HttpResponse<InputStream> response;
            try {
                response = send(request(target, currentMethod, withBody, sameOrigin(uri, target), lastEventId),
                        lastEventId);
            } catch (CancellationException | InterruptedException e) {
                return CANCELLED;
            } catch (TimeoutException e) {
                return retry(SseException.fatal("no response within the connect timeout of "
                        + connectTimeout.toMillis() + " ms from " + target, 0, null, null, null), null);
            } catch (IOException e) {
                return retry(SseException.fatal("connection to " + target + " failed: " + e, 0, null, null, e),
                        null);
            } catch (IllegalArgumentException e) {
                // A supplied header the JDK refuses (a restricted name, a CR in a value) will not get better.
                return fatal(0, null, "", "invalid request: " + e.getMessage());
            } catch (RuntimeException e) {
                // A header or body supplier that failed, e.g. a token service that is down: try again later.
                return retry(SseException.fatal("preparing the request failed: " + e, 0, null, null, e), null);
            }
            Body in = new Body(response.body(), name);
            currentBody = in;
            if (closed.getAsBoolean()) {
                in.close();
                return CANCELLED;
            }
            int status = response.statusCode();
            HttpHeaders headers = response.headers();
            if (status == 200) {
                String type = headers.firstValue("Content-Type").orElse("");
                if (isEventStream(type)) {
                    return new Opened(in, status, headers, response.version());
                }
                return fatal(response, in, type.isEmpty() ? "200 without a Content-Type, not text/event-stream"
                        : "200 with Content-Type " + type + ", not text/event-stream");
            }
            if (status == 204) {
                in.close();
                return new NoContent(status, headers);
            }
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                in.close();
                String location = headers.firstValue("Location").orElse(null);
                if (location == null) {
                    return fatal(status, headers, "", status + " redirect without a Location header");
                }
                URI next;
                try {
                    next = target.resolve(location);
                } catch (IllegalArgumentException e) {
                    return fatal(status, headers, "", status + " redirect to an invalid Location: " + location);
                }
                if (!seen.add(next)) {
                    return fatal(status, headers, "", "redirect loop: " + next + " was already visited");
                }
                if (hops + 1 >= MAX_REDIRECTS) {
                    return fatal(status, headers, "", "more than " + MAX_REDIRECTS + " redirects");
                }
                if (status == 303 || ((status == 301 || status == 302) && currentMethod.equals("POST"))) {
                    currentMethod = "GET";
                    withBody = false;
                }
                LOG.debug("{}: {} redirect to {}", name, status, next);
                target = next;
                continue;
            }
            if (status == 408 || status == 429 || status >= 500) {
                String excerpt = excerpt(in);
                return retry(SseException.fatal("HTTP " + status + " from " + target + excerptSuffix(excerpt),
                        status, headers, excerpt, null), retryAfter(headers));
            }
            return fatal(response, in, "HTTP " + status + " is not a stream");
        }
    }

    /**
     * Cancels a request waiting for its response and closes the body being read, which wakes a blocked read; from
     * any thread, when the client closes.
     */
    void abort() {
        CompletableFuture<?> pending = pendingResponse;
        if (pending != null) {
            pending.cancel(true);
        }
        Body in = currentBody;
        if (in != null) {
            in.abort();
        }
    }

    private HttpRequest request(URI target, String requestMethod, boolean withBody, boolean sameOrigin,
            String lastEventId) {
        HttpRequest.BodyPublisher publisher = withBody && body != null ? body.get()
                : HttpRequest.BodyPublishers.noBody();
        HttpRequest.Builder rb = HttpRequest.newBuilder(target)
                .method(requestMethod, Objects.requireNonNull(publisher, "body publisher supplied"))
                .header("Accept", "text/event-stream")
                .header("Cache-Control", "no-cache");
        for (String[] h : fixedHeaders) {
            if (sameOrigin || !isCredential(h[0])) {
                rb.header(h[0], h[1]);
            }
        }
        if (attemptHeaders != null) {
            Map<String, String> supplied = attemptHeaders.get();
            if (supplied != null) {
                supplied.forEach((header, value) -> {
                    if (sameOrigin || !isCredential(header)) {
                        rb.setHeader(header, value);
                    }
                });
            }
        }
        if (!lastEventId.isEmpty()) {
            if (isVisibleAscii(lastEventId)) {
                rb.setHeader("Last-Event-ID", lastEventId);
            } else {
                // java.net.http writes header values as US-ASCII ('?' for anything else) and rejects chars above
                // U+00FF: a mangled id would resume at the wrong place, so none is sent.
                LOG.warn("{}: last event id {} is not printable ASCII, which java.net.http cannot send; "
                        + "reconnecting without Last-Event-ID", name, lastEventId);
            }
        }
        return rb.build();
    }

    private HttpResponse<InputStream> send(HttpRequest request, String lastEventId)
            throws IOException, InterruptedException, TimeoutException {
        LOG.debug("{}: {} {}{}", name, request.method(), request.uri(),
                lastEventId.isEmpty() ? "" : " (Last-Event-ID " + lastEventId + ")");
        CompletableFuture<HttpResponse<InputStream>> future = http.sendAsync(request, BodyHandlers.ofInputStream());
        pendingResponse = future;
        try {
            if (closed.getAsBoolean()) {
                future.cancel(true);
            }
            return future.get(connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (closed.getAsBoolean()) {
                throw new CancellationException("closed");
            }
            throw new IOException(cause);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        } finally {
            pendingResponse = null;
        }
    }

    private static Failed retry(SseException error, Duration retryAfter) {
        return new Failed(error, false, retryAfter);
    }

    private Failed fatal(HttpResponse<InputStream> response, Body in, String problem) {
        String excerpt = excerpt(in);
        return fatal(response.statusCode(), response.headers(), excerpt,
                problem + " (" + response.uri() + ")" + excerptSuffix(excerpt));
    }

    private static Failed fatal(int status, HttpHeaders headers, String excerpt, String message) {
        return new Failed(SseException.fatal(message, status, headers, excerpt, null), true, null);
    }

    private static String excerptSuffix(String excerpt) {
        return excerpt.isEmpty() ? "" : ": " + excerpt;
    }

    /** Reads the start of an error body, waiting at most a second for silence; then drops the connection. */
    private String excerpt(Body in) {
        in.watch(EXCERPT_WAIT);
        byte[] bytes = new byte[EXCERPT_BYTES];
        int n = 0;
        try {
            while (n < bytes.length && !closed.getAsBoolean() && !in.idled()) {
                int r = in.read(bytes, n, bytes.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (IOException e) {
            LOG.debug("{}: reading the error body failed", name, e);
        } finally {
            in.close();
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8).strip();
    }

    /** As fetch does on a redirect to another origin, credentials the application set are not sent there. */
    private static boolean isCredential(String header) {
        return header.equalsIgnoreCase("Authorization") || header.equalsIgnoreCase("Cookie")
                || header.equalsIgnoreCase("Proxy-Authorization");
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : (u.getScheme().equalsIgnoreCase("https") ? 443 : 80);
    }

    static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    static boolean isEventStream(String contentType) {
        int semicolon = contentType.indexOf(';');
        String mime = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return mime.equalsIgnoreCase("text/event-stream");
    }

    /** {@code Retry-After} as delay-seconds or an HTTP-date; null when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers) {
        String value = headers.firstValue("Retry-After").orElse(null);
        if (value == null) {
            return null;
        }
        value = value.strip();
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return value.length() > 9 ? Duration.ofSeconds(999_999_999) : Duration.ofSeconds(Long.parseLong(value));
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            LOG.debug("ignoring an unreadable Retry-After: {}", value);
            return null;
        }
    }
}
