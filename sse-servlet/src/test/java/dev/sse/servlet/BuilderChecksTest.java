package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The builder holds values to the settings table's rules, with the same messages as the init-params. */
class BuilderChecksTest {

    @Test
    void builderRefusesWhatTheInitParamWouldRefuseNamingTheSetting() {
        assertThatThrownBy(() -> SseServlet.builder().maxConnections(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnections must be from 0 to 2147483647 (was -1)");
        assertThatThrownBy(() -> SseServlet.builder().publishThreads(65, 1))
                .hasMessage("publishThreads must be from 1 to 64 (was 65)");
        assertThatThrownBy(() -> SseServlet.builder().bodyDeadline(Duration.ZERO, Duration.ofSeconds(1), 1))
                .hasMessageStartingWith("bodyDeadline must be from 1ms to 1 day");
        assertThatThrownBy(() -> SseServlet.builder().overloadRetry(Duration.ofSeconds(-1)))
                .hasMessageStartingWith("overloadRetry must not be negative");
    }
}
