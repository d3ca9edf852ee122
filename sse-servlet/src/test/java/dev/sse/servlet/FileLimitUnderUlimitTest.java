package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attack of issue 15 on a real process: a server JVM limited to 300 files ({@code ulimit -n 300}) with two
 * stream servlets and no {@code maxConnections}. Without the default bound, streams took every descriptor and the
 * rest of the server (here {@code /stats}) stopped answering; with it, the stream past the bound is shed with
 * {@code 200} + {@code retry:} and {@code /stats} still answers.
 */
class FileLimitUnderUlimitTest {

    private static final Logger LOG = LoggerFactory.getLogger(FileLimitUnderUlimitTest.class);
    private static final Duration T = Duration.ofSeconds(10);
    private static final int FILES = 300;

    @Test
    void streamsCannotTakeEveryFileOfTheProcessAcrossTwoServlets() throws Exception {
        assumeTrue(!System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("windows")
                && Files.isExecutable(Path.of("/bin/sh")), "a Unix shell for ulimit");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "ulimit -n " + FILES + " && exec \"$0\" -Xmx128m "
                + "-XX:TieredStopAtLevel=1 -cp \"$1\" dev.sse.servlet.FileLimitChild", java,
                System.getProperty("java.class.path"));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process child = pb.start();
        List<SseClient> streams = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            String line = first.get(60, TimeUnit.SECONDS);
            assertThat(line).as("the child's port line").startsWith("PORT ");
            int port = Integer.parseInt(line.substring(5).trim());
            String atRest = stats(port);
            LOG.info("child at rest: {}", atRest);
            assertThat(atRest).contains("max=" + FILES);

            int bound = FileLimit.streamsFor(FILES);
            SseClient shed = null;
            for (int i = 0; i < FILES && shed == null; i++) {
                SseClient c = SseClient.get(port, i % 2 == 0 ? "/a" : "/b").head(T);
                assertThat(c.status()).isEqualTo(200);
                // A shed answer has a length; a stream is chunked and sends nothing until an event or keep-alive.
                if (c.header("content-length") != null) {
                    shed = c;
                    assertThat(c.nextFrame(T)).isEqualTo("retry: 9000\n\n");
                    assertThat(c.awaitEnd(T)).isTrue();
                    c.close();
                } else {
                    streams.add(c);
                }
            }
            assertThat(shed).as("a stream shed before the files ran out").isNotNull();
            assertThat(streams).hasSize(bound);
            String full = stats(port);
            LOG.info("child with {} streams open: {}", streams.size(), full);
            assertThat(full).startsWith("open=");
        } finally {
            for (SseClient c : streams) {
                c.close();
            }
            child.destroy();
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    private static String stats(int port) throws Exception {
        try (SseClient c = SseClient.get(port, "/stats").head(T)) {
            assertThat(c.status()).isEqualTo(200);
            return c.readBody(T);
        }
    }
}
