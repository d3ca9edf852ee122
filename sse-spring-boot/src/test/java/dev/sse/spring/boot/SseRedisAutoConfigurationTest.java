package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * The starter's hub on the Redis backplane, with sse-redis on the class path and a real {@code redis-server} (Debian's
 * package, started here on a free loopback port). Runs on Boot 4 only: sse-redis's Lettuce 7 needs Boot 4's Netty.
 */
class SseRedisAutoConfigurationTest {

    private static Process redis;
    private static int port;

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SseAutoConfiguration.class));

    @BeforeAll
    static void startRedis() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        redis = redisServer(port);
    }

    /** Starts Debian's redis-server on the port, without persistence, and waits until it listens. */
    static Process redisServer(int port) throws IOException {
        Process process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return process;
            } catch (IOException notYet) {
                assertThat(System.nanoTime()).as("redis-server listening").isLessThan(deadline);
                assertThat(process.isAlive()).as("redis-server running").isTrue();
                Thread.onSpinWait();
            }
        }
    }

    /** The backplane health, read by reflection: this class is also compiled against Boot 3, which lacks the type. */
    static String health(org.springframework.context.ApplicationContext ctx) throws Exception {
        Object indicator = ctx.getBean("sseBackplaneHealthIndicator");
        return indicator.getClass().getMethod("health").invoke(indicator).toString();
    }

    @Test
    void backplaneHealthIsUpWithRedisAndDownNamingTheReasonWithout() throws Exception {
        int ownPort;
        try (ServerSocket free = new ServerSocket(0)) {
            ownPort = free.getLocalPort();
        }
        Process own = redisServer(ownPort);
        try {
            web.withPropertyValues("sse.redis.url=redis://127.0.0.1:" + ownPort, "sse.name=health").run(ctx -> {
                Hub hub = ctx.getBean(Hub.class);
                hub.broadcast(SseEvent.data("while up"));
                assertThat(health(ctx)).startsWith("UP").contains("sseHub=reachable");
                own.destroy();
                own.waitFor(10, TimeUnit.SECONDS);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> hub.broadcast(SseEvent.data("while down")))
                        .isInstanceOf(RuntimeException.class);
                assertThat(health(ctx)).startsWith("DOWN").contains("127.0.0.1:" + ownPort);
            });
        } finally {
            own.destroyForcibly();
        }
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.destroy();
        redis.waitFor(10, TimeUnit.SECONDS);
    }

    /** Records the frames a hub queues for one channel. */
    static BlockingQueue<SseFrame> listen(Hub hub) {
        BlockingQueue<SseFrame> frames = new LinkedBlockingQueue<>();
        hub.open(new Transport() {
            private FrameSource source;

            @Override
            public void attach(FrameSource source) {
                this.source = source;
            }

            @Override
            public void framesAvailable() {
                for (SseFrame f = source.poll(); f != null; f = source.poll()) {
                    frames.add(f);
                }
            }

            @Override
            public void close() {
                // Nothing to end: no socket.
            }
        }, ChannelOptions.defaults());
        return frames;
    }

    @Test
    void twoAppsWithTheSameRedisUrlActAsOneHub() {
        String url = "sse.redis.url=redis://127.0.0.1:" + port;
        web.withPropertyValues(url, "sse.name=cluster-a").run(a -> web.withPropertyValues(url, "sse.name=cluster-a")
                .run(b -> {
                    BlockingQueue<SseFrame> onB = listen(b.getBean(Hub.class));
                    String id = a.getBean(Hub.class).broadcast(SseEvent.data("from node a"));
                    assertThat(id).as("a Redis stream entry id").matches("\\d+-\\d+");
                    SseFrame got = onB.poll(10, TimeUnit.SECONDS);
                    assertThat(got).as("the event reached the other node").isNotNull();
                    assertThat(got.event().id()).isEqualTo(id);
                    assertThat(got.event().data()).isEqualTo("from node a");
                }));
    }

    @Test
    void bootsOwnSpringDataRedisSettingsAreUsedWhenNoUrlIsSet() {
        web.withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + port,
                "sse.name=cluster-b").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(Hub.class).broadcast(SseEvent.data("x"))).matches("\\d+-\\d+");
                });
    }

    @Test
    void withoutAnyRedisSettingTheHubIsThisNodesOwn() {
        // The hub's own numbering (from its start time), not a Redis entry id such as 1718000000000-0.
        web.run(ctx -> assertThat(ctx.getBean(Hub.class).broadcast(SseEvent.data("x"))).matches("\\d+"));
    }

    @Test
    void aUrlNoBackplaneSupportsFailsStartupNamingTheDependency() {
        web.withPropertyValues("sse.redis.url=nosuch://127.0.0.1:1").run(ctx -> assertThat(ctx).hasFailed()
                .getFailure().rootCause().hasMessageContaining("dev.sse:sse-redis"));
    }
}
