package dev.sse.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisStreamAsyncCommands;
import io.lettuce.core.api.sync.RedisStreamCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.Executor;

/**
 * How a backplane reaches Redis: one server, a primary found through Sentinel (both a {@link RedisClient}), or a
 * Cluster ({@link RedisClusterClient}). Hands out connections that speak the stream commands, whichever it is.
 *
 * <p>Threads: any; the clients are thread-safe and this object holds nothing else that changes.
 */
abstract class RedisAccess {

    /** Most commands that may wait for Redis on one connection. */
    static final int REQUEST_QUEUE = 10_000;

    /** One connection and its stream commands. */
    record Link(StatefulConnection<String, String> connection, RedisStreamCommands<String, String> sync,
                RedisStreamAsyncCommands<String, String> async) {
    }

    abstract Link connect();

    /** Where a connection's batched flushes run: Lettuce's event executors. */
    abstract Executor flusher();

    /**
     * Whether publishing may turn auto-flush off and flush in batches. Not on a Cluster: a command whose node
     * connection is still being opened is written after the flush that should have sent it.
     */
    abstract boolean batchesFlushes();

    abstract void shutdown(Duration timeout);

    /** For messages: where the stream is, e.g. {@code 10.0.0.5:6379} or {@code Sentinel master mymaster via ...}. */
    abstract String where();

    /**
     * Parses {@code redis://}, {@code rediss://}, {@code redis-sentinel://} (Lettuce's syntax) or
     * {@code redis-cluster://host:port,host:port} and makes a client of its own, configured to fail fast.
     */
    static RedisAccess of(String uri, Duration commandTimeout) {
        List<RedisURI> targets = parse(uri);
        if (isCluster(uri)) {
            for (RedisURI seed : targets) {
                seed.setTimeout(commandTimeout);
            }
            RedisClusterClient client = RedisClusterClient.create(targets);
            client.setOptions(ClusterClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE)
                    .autoReconnect(true)
                    .timeoutOptions(TimeoutOptions.enabled())
                    .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                    // A promoted replica is found by the reconnects that fail on the old primary, or within 10 s.
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                            .enablePeriodicRefresh(Duration.ofSeconds(10))
                            .build())
                    .build());
            StringJoiner hosts = new StringJoiner(",");
            targets.forEach(s -> hosts.add(s.getHost() + ":" + s.getPort()));
            return new Cluster(client, true, "Redis Cluster via " + hosts);
        }
        RedisURI parsed = targets.get(0);
        parsed.setTimeout(commandTimeout);
        RedisClient client = RedisClient.create(parsed);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .autoReconnect(true)
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                .build());
        return new Standalone(client, true, describe(parsed));
    }

    private static boolean isCluster(String uri) {
        String scheme = uri.contains("://") ? uri.substring(0, uri.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        return scheme.equals("redis-cluster") || scheme.equals("rediss-cluster");
    }

    /**
     * Checks a URI without connecting: the server (or Sentinel) URI, or a Cluster's seeds.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static List<RedisURI> parse(String uri) {
        if (isCluster(uri)) {
            return clusterSeeds(uri, uri.regionMatches(true, 0, "rediss", 0, 6) ? "rediss" : "redis");
        }
        try {
            return List.of(RedisURI.create(uri));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("uri must be a Redis URI such as redis://host:6379, "
                    + "redis-sentinel://host:26379#mymaster or redis-cluster://host:7000,host:7001 (was \"" + uri
                    + "\"): " + e.getMessage(), e);
        }
    }

    static RedisAccess of(RedisClient client) {
        return new Standalone(client, false, "the application's RedisClient");
    }

    static RedisAccess of(RedisClusterClient client) {
        return new Cluster(client, false, "the application's RedisClusterClient");
    }

    private static String describe(RedisURI uri) {
        if (uri.getSentinels().isEmpty()) {
            return uri.getHost() + ":" + uri.getPort();
        }
        StringJoiner sentinels = new StringJoiner(",");
        uri.getSentinels().forEach(s -> sentinels.add(s.getHost() + ":" + s.getPort()));
        return "Sentinel master " + uri.getSentinelMasterId() + " via " + sentinels;
    }

    /** {@code redis-cluster://[user:pass@]h1:p1,h2:p2[/...][?...]}: one {@code redis://} URI per seed. */
    static List<RedisURI> clusterSeeds(String uri, String scheme) {
        String rest = uri.substring(uri.indexOf("://") + 3);
        int end = rest.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int i = rest.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String authority = rest.substring(0, end);
        String tail = rest.substring(end);
        String userInfo = "";
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            userInfo = authority.substring(0, at + 1);
            authority = authority.substring(at + 1);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : authority.split(",")) {
            if (host.isBlank()) {
                continue;
            }
            try {
                seeds.add(RedisURI.create(scheme + "://" + userInfo + host.trim() + tail));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("uri's cluster seed \"" + host + "\" is not host:port (uri was \""
                        + uri + "\"): " + e.getMessage(), e);
            }
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("uri must name at least one cluster node, as in "
                    + "redis-cluster://host:7000,host:7001 (was \"" + uri + "\")");
        }
        return seeds;
    }

    private static final class Standalone extends RedisAccess {
        private final RedisClient client;
        private final boolean owned;
        private final String where;

        Standalone(RedisClient client, boolean owned, String where) {
            this.client = client;
            this.owned = owned;
            this.where = where;
        }

        @Override
        Link connect() {
            StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8);
            return new Link(c, c.sync(), c.async());
        }

        @Override
        Executor flusher() {
            return client.getResources().eventExecutorGroup();
        }

        @Override
        boolean batchesFlushes() {
            return true;
        }

        @Override
        void shutdown(Duration timeout) {
            if (owned) {
                client.shutdown(Duration.ZERO, timeout);
            }
        }

        @Override
        String where() {
            return where;
        }
    }

    private static final class Cluster extends RedisAccess {
        private final RedisClusterClient client;
        private final boolean owned;
        private final String where;

        Cluster(RedisClusterClient client, boolean owned, String where) {
            this.client = client;
            this.owned = owned;
            this.where = where;
        }

        @Override
        Link connect() {
            StatefulRedisClusterConnection<String, String> c = client.connect(StringCodec.UTF8);
            return new Link(c, c.sync(), c.async());
        }

        @Override
        Executor flusher() {
            return client.getResources().eventExecutorGroup();
        }

        @Override
        boolean batchesFlushes() {
            return false;
        }

        @Override
        void shutdown(Duration timeout) {
            if (owned) {
                client.shutdown(Duration.ZERO, timeout);
            }
        }

        @Override
        String where() {
            return where;
        }
    }
}
