package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * Boot's {@code spring.data.redis.sentinel.*} become the backplane's {@code redis-sentinel://} URI when
 * {@code sse.redis.url} is unset: against a real password-protected primary and a real Sentinel (Debian's
 * {@code redis-server}, started here), and as the URI built. Needs sse-redis on the class path, which the Boot 3
 * build of these tests does not have (Lettuce 7 needs Boot 4's Netty).
 */
@EnabledIf("redisBackplaneOnClassPath")
class SpringDataRedisSentinelTest {

    static boolean redisBackplaneOnClassPath() {
        try {
            Class.forName("dev.sse.redis.RedisBackplane");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SseAutoConfiguration.class));

    @Test
    void sentinelMasterNodesAndPasswordReachThePrimaryThroughARealSentinel() throws Exception {
        int primaryPort = freePort();
        int sentinelPort = freePort();
        Path dir = Files.createTempDirectory("sse-boot-sentinel");
        Path config = dir.resolve("sentinel.conf");
        Files.writeString(config, String.join("\n", "port " + sentinelPort, "bind 127.0.0.1", "dir " + dir,
                "sentinel monitor mymaster 127.0.0.1 " + primaryPort + " 1",
                "sentinel auth-pass mymaster s3cr@t:x", ""));
        Process primary = start(primaryPort, "redis-server", "--port", Integer.toString(primaryPort), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", "s3cr@t:x");
        try {
            Process sentinel = start(sentinelPort, "redis-server", config.toString(), "--sentinel");
            try {
                web.withPropertyValues("sse.name=boot-sentinel", "spring.data.redis.sentinel.master=mymaster",
                        "spring.data.redis.sentinel.nodes=127.0.0.1:" + sentinelPort,
                        "spring.data.redis.password=s3cr@t:x").run(ctx -> {
                            assertThat(ctx).hasNotFailed();
                            Hub hub = ctx.getBean(Hub.class);
                            // A stream entry id: the XADD went through Sentinel to the primary, which refuses
                            // commands without the password (NOAUTH), so the password went in too.
                            assertThat(hub.broadcast(SseEvent.data("via sentinel"))).matches("\\d+-\\d+");
                        });
            } finally {
                stop(sentinel);
            }
        } finally {
            stop(primary);
        }
    }

    @Test
    void sentinelPropertiesBuildTheUriWithDatabaseEncodedPasswordAndAYamlListOfNodes() {
        Map<String, String> yaml = Map.of("spring.data.redis.sentinel.master", "mymaster",
                "spring.data.redis.sentinel.nodes[0]", "s1:26379", "spring.data.redis.sentinel.nodes[1]", "s2:26380",
                "spring.data.redis.username", "app", "spring.data.redis.password", "p@ss:#1",
                "spring.data.redis.database", "2");
        assertThat(SseWiring.backplaneUri(new SseProperties(), yaml::get))
                .isEqualTo(URI.create("redis-sentinel://app:p%40ss%3A%231@s1:26379,s2:26380/2#mymaster"));
        assertThat(SseWiring.backplaneUri(new SseProperties(), Map.of("spring.data.redis.sentinel.master", "m",
                "spring.data.redis.sentinel.nodes", "s1:26379, s2:26379")::get))
                .isEqualTo(URI.create("redis-sentinel://s1:26379,s2:26379#m"));
    }

    @Test
    void sseRedisUrlAndSpringDataRedisUrlWinOverSentinelProperties() {
        Map<String, String> env = Map.of("spring.data.redis.sentinel.master", "mymaster",
                "spring.data.redis.sentinel.nodes", "s1:26379", "spring.data.redis.url", "redis://r:6379");
        assertThat(SseWiring.backplaneUri(new SseProperties(), env::get)).isEqualTo(URI.create("redis://r:6379"));
        SseProperties own = new SseProperties();
        own.getRedis().setUrl("redis://own:6379");
        assertThat(SseWiring.backplaneUri(own, env::get)).isEqualTo(URI.create("redis://own:6379"));
    }

    @Test
    void aSentinelMasterWithoutNodesOrWithASentinelPasswordIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> SseWiring.backplaneUri(new SseProperties(),
                Map.of("spring.data.redis.sentinel.master", "mymaster")::get))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("spring.data.redis.sentinel.nodes");
        assertThatThrownBy(() -> SseWiring.backplaneUri(new SseProperties(), Map.of(
                "spring.data.redis.sentinel.master", "mymaster", "spring.data.redis.sentinel.nodes", "s1:26379",
                "spring.data.redis.sentinel.password", "x")::get))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("spring.data.redis.sentinel.password");
    }

    private static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        }
    }

    private static Process start(int port, String... command) throws IOException {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return process;
            } catch (IOException notYet) {
                assertThat(System.nanoTime()).as(command[0] + " listening on " + port).isLessThan(deadline);
                assertThat(process.isAlive()).as(command[0] + " running").isTrue();
                Thread.onSpinWait();
            }
        }
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }
}
