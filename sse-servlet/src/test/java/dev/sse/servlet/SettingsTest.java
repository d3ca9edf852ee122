package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.SlowClientPolicy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static Settings apply(Map<String, String> params) {
        Settings s = new Settings();
        s.apply(params::get);
        return s;
    }

    @Test
    void maxConnectionsBeyondAnIntIsRefusedInsteadOfWrappingToUnlimited() {
        assertThatThrownBy(() -> apply(Map.of("maxConnections", "4294967296")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxConnections").hasMessageContaining("2147483647");
    }

    @Test
    void queueLimitsOutOfRangeNameTheParam() {
        assertThatThrownBy(() -> apply(Map.of("maxQueuedFrames", "0"))).hasMessageContaining("maxQueuedFrames");
        assertThatThrownBy(() -> apply(Map.of("historySize", "-1"))).hasMessageContaining("historySize");
        assertThatThrownBy(() -> apply(Map.of("writerThreads", "x"))).hasMessageContaining("writerThreads");
    }

    @Test
    void policyAndDurationsParseOnceIntoTypedValues() {
        Settings s = apply(Map.of("slowClientPolicy", "dropOldest", "keepAlive", "250ms", "drainWindow", "PT2S"));
        assertThat(s.slowClientPolicy).isSameAs(SlowClientPolicy.dropOldest());
        assertThat(s.keepAlive).isEqualTo(Duration.ofMillis(250));
        assertThat(s.drainWindow).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> apply(Map.of("slowClientPolicy", "drop"))).hasMessageContaining("slowClientPolicy");
        assertThatThrownBy(() -> apply(Map.of("retry", "soon"))).hasMessageContaining("retry");
    }

    @Test
    void everyKnownParamIsListedAndHubParamsAreAmongThem() {
        assertThat(Settings.NAMES).containsAll(Settings.HUB_NAMES);
    }

    @Test
    void backplaneThatIsNoUriOrThatNoProviderSupportsIsRefusedNamingTheParam() {
        assertThatThrownBy(() -> apply(Map.of("backplane", "redis://a b"))).hasMessageContaining("backplane");
        Settings s = apply(Map.of("backplane", "nosuch://host:1"));
        assertThatThrownBy(() -> ContextHubs.build(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backplane").hasMessageContaining("nosuch");
    }

    @Test
    void maxConnectionsUnsetLeavesTheFileBoundAndAnExplicitZeroMeansNoLimit() {
        assertThat(apply(Map.of()).maxConnections).isNull();
        assertThat(apply(Map.of("maxConnections", " ")).maxConnections).isNull();
        assertThat(apply(Map.of("maxConnections", "0")).maxConnections).isZero();
        assertThat(apply(Map.of("maxConnections", "500")).maxConnections).isEqualTo(500);
        assertThatThrownBy(() -> apply(Map.of("maxConnections", "-1"))).hasMessageContaining("maxConnections");
    }

    @Test
    void perClientCapAndGapEventAreKnownAndParsed() {
        Settings s = apply(Map.of("maxConnectionsPerClient", "4", "gapEvent", "reload"));
        assertThat(s.maxConnectionsPerClient).isEqualTo(4);
        assertThat(s.gap).isEqualTo(dev.sse.core.SseEvent.of("reload", ""));
        assertThat(Settings.NAMES).contains("maxConnectionsPerClient", "gapEvent");
        assertThat(Settings.HUB_NAMES).contains("gapEvent");
        assertThatThrownBy(() -> apply(Map.of("maxConnectionsPerClient", "-2")))
                .hasMessageContaining("maxConnectionsPerClient");
        assertThatThrownBy(() -> apply(Map.of("gapEvent", "a\nid: 9"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gapEvent");
    }
}
