package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.sse.core.http.Setting;
import dev.sse.core.http.SseSettings;
import org.junit.jupiter.api.Test;

/** Every setting of the table is an init-param and a row of SseServlet's Javadoc table, so none goes undocumented. */
class InitParamsDocumentedTest {

    @Test
    void everyInitParamIsInSseServletsJavadocTable() throws IOException {
        String source = Files.readString(Path.of("src/main/java/dev/sse/servlet/SseServlet.java"),
                StandardCharsets.UTF_8);
        List<String> missing = SseSettings.all().stream().map(Setting::name).sorted()
                .filter(name -> !source.contains("<tr><td>{@code " + name + "}")).toList();
        assertThat(missing).as("settings of the table without a row in SseServlet's Javadoc table").isEmpty();
    }

    @Test
    void theServletKnowsExactlyTheSettingsOfTheTable() {
        assertThat(Settings.NAMES).containsExactlyInAnyOrderElementsOf(SseSettings.all().stream().map(Setting::name)
                .toList());
        assertThat(Settings.HUB_NAMES).contains("keepAlive", "slowClientPolicy", "gapEvent", "backplane")
                .doesNotContain("retry", "publish");
    }

    @Test
    void aServletBuiltWithoutInitParamsHasTheTablesDefaults() {
        Settings s = new Settings();
        assertThat(s.keepAlive).isEqualTo(SseSettings.KEEP_ALIVE.defaultValue());
        assertThat(s.drainWindow).isEqualTo(SseSettings.DRAIN_WINDOW.defaultValue());
        assertThat(s.maxBodyBytes).isEqualTo(SseSettings.MAX_BODY_BYTES.defaultValue());
    }
}
