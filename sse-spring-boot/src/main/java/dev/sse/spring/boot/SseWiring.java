package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.http.HubFactory;
import dev.sse.core.http.Setting;
import dev.sse.core.http.SseSettings;
import dev.sse.core.spi.BackplaneProvider;
import dev.sse.core.spi.Backplanes;
import dev.sse.servlet.PublishPolicy;
import dev.sse.servlet.SseServlet;
import dev.sse.servlet.SseStreams;
import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;

/** The one place where {@link SseProperties} become sse-core and sse-servlet settings. */
final class SseWiring {

    private SseWiring() {
    }

    /**
     * The backplane URI: {@code sse.redis.url}, else Boot's {@code spring.data.redis.url}, its
     * {@code spring.data.redis.sentinel.*}, or host and port when a provider for {@code redis://} is on the class path,
     * else none.
     */
    static URI backplaneUri(SseProperties p, Function<String, String> env) {
        String url = p.getRedis().getUrl();
        if (url != null && !url.isBlank()) {
            return URI.create(url.trim());
        }
        if (!p.getRedis().isUseSpringDataRedis() || provider(URI.create("redis://localhost")) == null) {
            return null;
        }
        String springUrl = env.apply("spring.data.redis.url");
        if (springUrl != null && !springUrl.isBlank()) {
            return URI.create(springUrl.trim());
        }
        URI sentinel = sentinelUri(env);
        if (sentinel != null) {
            return sentinel;
        }
        String host = env.apply("spring.data.redis.host");
        if (host == null || host.isBlank()) {
            return null;
        }
        String port = env.apply("spring.data.redis.port");
        return URI.create("redis://" + host.trim() + ":" + (port == null || port.isBlank() ? "6379" : port.trim()));
    }

    /**
     * {@code spring.data.redis.sentinel.master} and {@code .nodes} (a comma-separated string, or a YAML list bound as
     * {@code nodes[0]}, {@code nodes[1]}, ...) as Lettuce's {@code redis-sentinel://} URI; the data nodes'
     * {@code spring.data.redis.username}/{@code password} and {@code database} go in too. A Sentinel password of its
     * own ({@code spring.data.redis.sentinel.password}) has no place in that URI: refused rather than dropped.
     */
    static URI sentinelUri(Function<String, String> env) {
        String master = env.apply("spring.data.redis.sentinel.master");
        if (master == null || master.isBlank()) {
            return null;
        }
        String listed = env.apply("spring.data.redis.sentinel.nodes");
        StringBuilder nodes = new StringBuilder(listed == null ? "" : listed.replace(" ", ""));
        for (int i = 0; nodes.isEmpty() || i > 0; i++) {
            String node = env.apply("spring.data.redis.sentinel.nodes[" + i + "]");
            if (node == null || node.isBlank()) {
                break;
            }
            nodes.append(i > 0 ? "," : "").append(node.trim());
        }
        if (nodes.isEmpty()) {
            throw new IllegalStateException("spring.data.redis.sentinel.master is set but spring.data.redis.sentinel"
                    + ".nodes is not: the backplane needs at least one Sentinel host:port");
        }
        String sentinelPassword = env.apply("spring.data.redis.sentinel.password");
        if (sentinelPassword != null && !sentinelPassword.isEmpty()) {
            throw new IllegalStateException("spring.data.redis.sentinel.password cannot be passed to the backplane: "
                    + "set sse.redis.url instead");
        }
        String user = env.apply("spring.data.redis.username");
        String password = env.apply("spring.data.redis.password");
        String userInfo = "";
        if (password != null && !password.isEmpty()) {
            userInfo = (user == null ? "" : encoded(user)) + ":" + encoded(password) + "@";
        }
        String database = env.apply("spring.data.redis.database");
        String path = database == null || database.isBlank() || database.trim().equals("0") ? "" : "/" + database.trim();
        return URI.create("redis-sentinel://" + userInfo + nodes + path + "#" + encoded(master.trim()));
    }

    /** Percent-encodes all but unreserved characters (RFC 3986), so a password may hold {@code @}, {@code :} or {@code #}. */
    private static String encoded(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0)) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static BackplaneProvider provider(URI uri) {
        return Backplanes.find(uri, null).orElse(null);
    }

    /**
     * The hub the properties describe, built by the one hub factory from the settings table's values: the properties
     * are handed to it by their table names, so Boot's hub and a servlet's hub cannot be built differently.
     */
    static Hub hub(SseProperties p, URI backplane) {
        if (backplane != null && provider(backplane) == null) {
            throw new IllegalStateException("sse.redis.url is " + backplane + " but no backplane for it is on the class "
                    + "path: add the dependency dev.sse:sse-redis");
        }
        return HubFactory.build(hubSettings(p, backplane), p.getName());
    }

    /** The hub-scope properties as the settings table's values. */
    static SseSettings.Values hubSettings(SseProperties p, URI backplane) {
        Map<String, String> v = new HashMap<>();
        v.put(SseSettings.KEEP_ALIVE.name(), p.getKeepAlive().toString());
        v.put(SseSettings.MAX_QUEUED_FRAMES.name(), Integer.toString(p.getMaxQueuedFrames()));
        v.put(SseSettings.MAX_QUEUED_BYTES.name(), Long.toString(p.getMaxQueuedBytes().toBytes()));
        v.put(SseSettings.HISTORY_SIZE.name(), Integer.toString(p.getHistorySize()));
        v.put(SseSettings.HISTORY_MAX_AGE.name(), p.getHistoryMaxAge().toString());
        v.put(SseSettings.HISTORY_MAX_BYTES.name(), Long.toString(p.getHistoryMaxBytes().toBytes()));
        v.put(SseSettings.SLOW_CLIENT_POLICY.name(), policyName(p.getSlowClientPolicy()));
        v.put(SseSettings.GAP_EVENT.name(), p.getGapEvent());
        v.put(SseSettings.BACKPLANE.name(), backplane == null ? null : backplane.toString());
        return SseSettings.parse(v::get, Setting::bootProperty);
    }

    /** A policy's name in the settings table. */
    static String policyName(SseProperties.SlowClientPolicy policy) {
        return switch (policy) {
            case DISCONNECT -> "disconnect";
            case DROP_OLDEST -> "dropOldest";
            case COALESCE -> "coalesce";
        };
    }

    static SseServlet servlet(SseProperties p, Hub hub) {
        SseServlet.Builder b = SseServlet.builder();
        if (p.getPublicOrigin() != null && !p.getPublicOrigin().isBlank()) {
            b.publicOrigin(p.getPublicOrigin().trim());
        }
        if (p.getWriterThreads() > 0) {
            b.writerThreads(p.getWriterThreads());
        }
        if (p.getMaxConnections() != null) {
            // Only when set: unset leaves the servlet's default bound, derived from the process's file limit.
            b.maxConnections(p.getMaxConnections());
        }
        PublishPolicy policy = publishPolicy(p.getPublish());
        if (policy != null) {
            b.publishing(policy)
                    .maxBodyBytes((int) Math.min(p.getMaxBodySize().toBytes(), Integer.MAX_VALUE - 1))
                    .bodyDeadline(p.getBodyDeadline(), p.getBodyGrace(), p.getMinBodyRate())
                    .maxPendingBodyBytes(p.getMaxPendingBodySize().toBytes())
                    .publishThreads(p.getPublishThreads(), p.getPublishQueue());
        }
        return b
                .hub(hub)
                .retry(p.getRetry(), p.getRetryJitter())
                .overloadRetry(p.getOverloadRetry())
                .maxConnectionsPerClient(p.getMaxConnectionsPerClient())
                .topics(p.getTopics())
                .allowedTopics(p.getAllowedTopics())
                .allowedOrigins(p.getAllowedOrigins(), p.isAllowCredentials())
                .ignoreClientLastEventId(p.isIgnoreClientLastEventId())
                .maxConnectionAge(p.getMaxConnectionAge())
                .writeTimeout(p.getWriteTimeout())
                .allowedHeaders(p.getAllowedHeaders())
                .drain(p.getDrainWindow(), farewell(p))
                .build();
    }

    /**
     * The servlet context init-params ({@code sse.streams.keepAlive} and so on) that carry the {@code sse.streams.*}
     * properties that are set to sse-servlet's host of per-request streams.
     */
    static Map<String, String> streamParameters(SseProperties.Streams s) {
        Map<String, String> params = new LinkedHashMap<>();
        BiConsumer<String, Object> put = (name, value) -> {
            if (value != null) {
                params.put(SseStreams.PARAMETER_PREFIX + name, value.toString());
            }
        };
        // Durations as ISO-8601: exact, where milliseconds would turn 100us into 0 (off).
        put.accept("keepAlive", s.getKeepAlive());
        put.accept("writeTimeout", s.getWriteTimeout());
        put.accept("maxQueuedFrames", s.getMaxQueuedFrames());
        put.accept("maxQueuedBytes", s.getMaxQueuedBytes() == null ? null : s.getMaxQueuedBytes().toBytes());
        put.accept("slowClientPolicy", s.getSlowClientPolicy() == null ? null : policyName(s.getSlowClientPolicy()));
        put.accept("maxConnections", s.getMaxConnections());
        put.accept("maxConnectionsPerClient", s.getMaxConnectionsPerClient());
        return params;
    }

    /** The {@code sse.publish} policy: {@code null} for off, {@link PublishPolicy#open()}, or one made by class name. */
    static PublishPolicy publishPolicy(String value) {
        return PublishSetting.policy(value, PublishPolicy.class, PublishPolicy.open());
    }

    static CompletableFuture<Void> shutdown(Hub hub, SseProperties p) {
        return hub.shutdown(p.getDrainWindow(), farewell(p));
    }

    static SseEvent farewell(SseProperties p) {
        return emptyEvent(p.getFarewellEvent(), "sse.farewell-event");
    }

    /** An empty event of the type, or {@code null} for none; a type that cannot go on the wire names the property. */
    private static SseEvent emptyEvent(String type, String property) {
        if (type == null || type.isBlank()) {
            return null;
        }
        try {
            return SseEvent.of(type.trim(), "");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(property + " must be a valid event type (" + e.getMessage() + ")", e);
        }
    }
}
