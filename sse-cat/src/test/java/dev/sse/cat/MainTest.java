package dev.sse.cat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The command line, parsed in process. The jar itself is run by {@link SseCatIT}. */
class MainTest {

    @Test
    void everyOptionIsParsed() throws Exception {
        Main.Options o = Main.parse(new String[] {"-H", "A: 1", "-H", "B:2", "-X", "PUT", "-d", "x",
            "--last-event-id", "9", "--max-events", "3", "--max-time", "1.5", "--no-reconnect",
            "--idle-timeout", "30", "--comments", "http://localhost/e"});
        assertThat(o.headers).hasSize(2);
        assertThat(o.headers.get(1)).containsExactly("B", "2");
        assertThat(o.method).isEqualTo("PUT");
        assertThat(new String(o.body, StandardCharsets.UTF_8)).isEqualTo("x");
        assertThat(o.lastEventId).isEqualTo("9");
        assertThat(o.maxEvents).isEqualTo(3);
        assertThat(o.maxTime).isEqualTo(Duration.ofMillis(1500));
        assertThat(o.noReconnect).isTrue();
        assertThat(o.idleTimeout).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.comments).isTrue();
        assertThat(o.uri.toString()).isEqualTo("http://localhost/e");
        assertThat(Main.parse(new String[] {"--reconnect", "-d", "x", "http://localhost/e"}).reconnect).isTrue();
        assertThat(Main.parse(new String[] {"--until-data", "[DONE]", "http://localhost/e"}).untilData)
                .isEqualTo("[DONE]");
    }

    @Test
    void badUsageIsReported() {
        assertThatThrownBy(() -> Main.parse(new String[] {})).hasMessage("missing URL");
        assertThatThrownBy(() -> Main.parse(new String[] {"--max-events", "0", "http://x/"}))
                .hasMessageContaining("--max-events");
        assertThatThrownBy(() -> Main.parse(new String[] {"--max-time", "soon", "http://x/"}))
                .hasMessageContaining("--max-time");
        assertThatThrownBy(() -> Main.parse(new String[] {"-H", "novalue", "http://x/"}))
                .hasMessageContaining("Name: value");
        assertThatThrownBy(() -> Main.parse(new String[] {"--bogus", "http://x/"}))
                .hasMessage("unknown option --bogus");
        assertThatThrownBy(() -> Main.parse(new String[] {"-X"})).hasMessage("-X needs a value");
        assertThatThrownBy(() -> Main.parse(new String[] {"--reconnect", "--no-reconnect", "http://x/"}))
                .hasMessageContaining("contradict");
    }

    @Test
    void aBadUrlOrHeaderExitsWithTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(Main.run(new String[] {"ftp://x/"}, out, errStream)).isEqualTo(2);
        assertThat(Main.run(new String[] {"-H", "Host: x", "http://x/"}, out, errStream)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("uri must be").contains("header Host");
    }
}
