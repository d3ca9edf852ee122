package dev.sse.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
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
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * How a backplane reaches Redis: one server, a primary found through Sentinel (both a {@link RedisClient}), or a
 * Cluster ({@link RedisClusterClient}). Hands out connections that speak the stream commands, whichever it is.
 *
 * <p>Threads: any; the clients are thread-safe and this object holds nothing else that changes.
 */
abstract class RedisAccess {

    /** Most commands that may wait for Redis on one connection. */
    static final int REQUEST_QUEUE = 10_000;

    /** Closes of connections that connected after their caller stopped waiting. */
    private final Set<CompletableFuture<?>> lateCloses = ConcurrentHashMap.newKeySet();

    /**
     * One connection and its stream commands. Closed once, however many of its owners ask (its disconnect listener,
     * the backplane's close): Lettuce logs a warning for every close after the first.
     */
    static final class Link {
        private final StatefulConnection<String, String> connection;
        private final RedisStreamCommands<String, String> sync;
        private final RedisStreamAsyncCommands<String, String> async;
        private final AtomicReference<CompletableFuture<Void>> closing = new AtomicReference<>();

        Link(StatefulConnection<String, String> connection, RedisStreamCommands<String, String> sync,
                RedisStreamAsyncCommands<String, String> async) {
            this.connection = connection;
            this.sync = sync;
            this.async = async;
        }

        StatefulConnection<String, String> connection() {
            return connection;
        }

        RedisStreamCommands<String, String> sync() {
            return sync;
        }

        RedisStreamAsyncCommands<String, String> async() {
            return async;
        }

        /** Starts closing the connection, the first time; completes when it is closed. Never waits. */
        CompletableFuture<Void> close() {
            CompletableFuture<Void> started = new CompletableFuture<>();
            if (!closing.compareAndSet(null, started)) {
                return closing.get();
            }
            if (connection instanceof RedisChannelHandler<?, ?> handler && handler.isClosed()) {
                // Closed by the client's shutdown, whose disconnect event brought us here.
                started.complete(null);
                return started;
            }
            try {
                connection.closeAsync().whenComplete((done, failure) -> started.complete(null));
            } catch (RuntimeException e) {
                started.complete(null);
                throw e;
            }
            return started;
        }
    }

    /**
     * Opens a connection, bounded: Lettuce's own connect waits without limit for the handshake of a server that
     * accepted the socket but does not answer (a paused Redis, a replica being promoted).
     *
     * @throws RedisException if it could not, or not within the timeout
     */
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
            ClientResources resources = resources();
            RedisClusterClient client = RedisClusterClient.create(resources, targets);
            client.setOptions(ClusterClientOptions.builder()
                    // Not REJECT_COMMANDS: a Cluster connection opens its node connections lazily, and rejecting
                    // would fail the first command to each node. The queue is still bounded, and every command
                    // still fails within the timeout.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
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
            return new Cluster(client, commandTimeout, resources, "Redis Cluster via " + hosts);
        }
        RedisURI parsed = targets.get(0);
        parsed.setTimeout(commandTimeout);
        ClientResources resources = resources();
        RedisClient client = RedisClient.create(resources, parsed);
        client.setOptions(ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE)
                .autoReconnect(true)
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                .build());
        return new Standalone(client, parsed, commandTimeout, resources, describe(parsed));
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
        return new Standalone(client, null, null, null, "the application's RedisClient");
    }

    static RedisAccess of(RedisClusterClient client) {
        return new Cluster(client, null, null, "the application's RedisClusterClient");
    }

    /**
     * Lettuce's resources with reconnects at most a second apart (Lettuce's default backs off to 30 s): after a
     * failover the replay connection finds the new primary within a second of it being named.
     */
    private static ClientResources resources() {
        return DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
    }

    private static void shutdown(ClientResources resources, Duration timeout) {
        if (resources != null) {
            resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    <C extends StatefulConnection<?, ?>> C bounded(CompletableFuture<C> connecting, Duration timeout, String where) {
        // Closed whenever it does connect after the wait, so that nothing is left open behind the caller's back; the
        // client's shutdown lets that close finish first, or it finds the connection half-closed and warns.
        return await(connecting, timeout, "connecting to " + where, abandoned -> {
            CompletableFuture<Void> closed = abandoned.thenCompose(StatefulConnection::closeAsync);
            lateCloses.add(closed);
            closed.whenComplete((done, failure) -> lateCloses.remove(closed));
        });
    }

    /**
     * Lets connections abandoned by a connect that timed out or was interrupted (a node closed while its reader was
     * connecting) finish closing before the client shuts down; at most a second.
     */
    void settleLateCloses(Duration timeout) {
        CompletableFuture<?>[] pending = lateCloses.toArray(new CompletableFuture<?>[0]);
        if (pending.length == 0) {
            return;
        }
        try {
            CompletableFuture.allOf(pending).get(Math.min(timeout.toMillis(), 1000), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // The client's shutdown closes whatever is left.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for a Redis step at most {@code timeout}; a step still running after the wait is handed to {@code late}. */
    private static <T> T await(CompletableFuture<T> pending, Duration timeout, String doing,
                               Consumer<CompletableFuture<T>> late) {
        try {
            return pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            late.accept(pending);
            throw new RedisConnectionException(doing + " took longer than " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RedisException r ? r
                    : new RedisConnectionException(doing + " failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            late.accept(pending);
            throw new RedisConnectionException("interrupted while " + doing, e);
        }
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
        /** The URI and timeout of a client made here; {@code null} for the application's. */
        private final RedisURI uri;
        private final Duration timeout;
        /** Made here and shut down here; {@code null} for the application's client. */
        private final ClientResources owned;
        private final String where;

        Standalone(RedisClient client, RedisURI uri, Duration timeout, ClientResources owned, String where) {
            this.client = client;
            this.uri = uri;
            this.timeout = timeout;
            this.owned = owned;
            this.where = where;
        }

        @Override
        Link connect() {
            // The application's client: only the blocking connect uses the URI it was made with.
            StatefulRedisConnection<String, String> c = uri == null ? client.connect(StringCodec.UTF8)
                    : bounded(client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture(), timeout, where);
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
            if (owned != null) {
                settleLateCloses(timeout);
                client.shutdown(Duration.ZERO, timeout);
                RedisAccess.shutdown(owned, timeout);
            }
        }

        @Override
        String where() {
            return where;
        }
    }

    private static final class Cluster extends RedisAccess {
        private final RedisClusterClient client;
        private final Duration timeout;
        /** Made here and shut down here; {@code null} for the application's client. */
        private final ClientResources owned;
        private final String where;

        Cluster(RedisClusterClient client, Duration timeout, ClientResources owned, String where) {
            this.client = client;
            this.timeout = timeout != null ? timeout : Duration.ofSeconds(10);
            this.owned = owned;
            this.where = where;
        }

        @Override
        Link connect() {
            // Each new connection starts from the cluster's current shape: after a failover, the promoted replica.
            await(client.refreshPartitionsAsync().toCompletableFuture(), timeout, "reading the topology of " + where,
                    abandoned -> { });
            StatefulRedisClusterConnection<String, String> c = bounded(
                    client.connectAsync(StringCodec.UTF8).toCompletableFuture(), timeout, where);
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
            if (owned != null) {
                settleLateCloses(timeout);
                client.shutdown(Duration.ZERO, timeout);
                RedisAccess.shutdown(owned, timeout);
            }
        }

        @Override
        String where() {
            return where;
        }
    }
}
