package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.micrometer.HubMetrics;
import dev.sse.servlet.SseServlet;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

class SseAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SseAutoConfiguration.class));

    @Test
    void aServletWebAppGetsAHubItsServletAtEventsAndTheShutdownLifecycle() {
        web.run(ctx -> {
            assertThat(ctx).hasSingleBean(Hub.class).hasBean(SseAutoConfiguration.HUB_BEAN);
            ServletRegistrationBean<?> registration =
                    ctx.getBean(SseAutoConfiguration.REGISTRATION_BEAN, ServletRegistrationBean.class);
            assertThat(registration.getServlet()).isInstanceOf(SseServlet.class);
            assertThat(registration.getUrlMappings()).containsExactly("/events");
            assertThat(registration.getServletName()).isEqualTo("events");
            assertThat(ctx).hasSingleBean(SseShutdownLifecycle.class);
        });
    }

    @Test
    void aNonWebApplicationGetsNothing() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SseAutoConfiguration.class))
                .run(ctx -> assertThat(ctx).doesNotHaveBean(Hub.class)
                        .doesNotHaveBean(ServletRegistrationBean.class).doesNotHaveBean(SseShutdownLifecycle.class));
    }

    @Test
    void sseEnabledFalseTurnsEverythingOff() {
        web.withPropertyValues("sse.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(Hub.class)
                        .doesNotHaveBean(ServletRegistrationBean.class).doesNotHaveBean(SseShutdownLifecycle.class)
                        .doesNotHaveBean(MeterBinder.class));
    }

    @Test
    void withoutTheServletModuleNothingIsConfigured() {
        web.withClassLoader(new FilteredClassLoader(SseServlet.class))
                .run(ctx -> assertThat(ctx).doesNotHaveBean(Hub.class).doesNotHaveBean(ServletRegistrationBean.class));
    }

    @Test
    void theApplicationsOwnHubIsStreamedInsteadOfANewOne() {
        web.withUserConfiguration(OneHub.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(Hub.class).doesNotHaveBean(SseAutoConfiguration.HUB_BEAN);
            assertThat(ctx).hasBean(SseAutoConfiguration.REGISTRATION_BEAN);
        });
    }

    @Test
    void withTwoHubsTheAppRegistersItsServletsButShutdownAndMetricsCoverBoth() {
        web.withUserConfiguration(TwoHubs.class).run(ctx -> {
            assertThat(ctx).doesNotHaveBean(SseAutoConfiguration.REGISTRATION_BEAN);
            assertThat(ctx).hasSingleBean(SseShutdownLifecycle.class);
            MeterRegistry registry = new SimpleMeterRegistry();
            ctx.getBean(MeterBinder.class).bindTo(registry);
            assertThat(registry.get("sse.connections.active").gauges())
                    .extracting(g -> g.getId().getTag("hub")).containsExactlyInAnyOrder("clock", "notifications");
        });
    }

    @Test
    void propertiesAreBound() {
        web.withPropertyValues("sse.path=/api/stream", "sse.name=prices", "sse.keep-alive=20s", "sse.retry=3s",
                "sse.retry-jitter=1500ms", "sse.overload-retry=30s", "sse.max-queued-frames=50",
                "sse.max-queued-bytes=64KB", "sse.history-size=0", "sse.history-max-age=1m",
                "sse.slow-client-policy=drop-oldest", "sse.max-connections=100", "sse.topics=a,b",
                "sse.allowed-topics=*", "sse.allowed-origins=https://app.example.com", "sse.allow-credentials=true",
                "sse.ignore-client-last-event-id=true", "sse.write-timeout=10s", "sse.max-connection-age=1h",
                "sse.drain-window=500ms", "sse.farewell-event=bye", "sse.max-connections-per-client=3",
                "sse.gap-event=reload").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    SseProperties p = ctx.getBean(SseProperties.class);
                    assertThat(p.getKeepAlive()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(p.getRetry()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(p.getRetryJitter()).isEqualTo(Duration.ofMillis(1500));
                    assertThat(p.getOverloadRetry()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(p.getMaxQueuedFrames()).isEqualTo(50);
                    assertThat(p.getMaxQueuedBytes()).isEqualTo(DataSize.ofKilobytes(64));
                    assertThat(p.getHistorySize()).isZero();
                    assertThat(p.getHistoryMaxAge()).isEqualTo(Duration.ofMinutes(1));
                    assertThat(p.getSlowClientPolicy()).isEqualTo(SseProperties.SlowClientPolicy.DROP_OLDEST);
                    assertThat(p.getMaxConnections()).isEqualTo(100);
                    assertThat(p.getTopics()).containsExactly("a", "b");
                    assertThat(p.getAllowedTopics()).containsExactly("*");
                    assertThat(p.getAllowedOrigins()).containsExactly("https://app.example.com");
                    assertThat(p.isAllowCredentials()).isTrue();
                    assertThat(p.isIgnoreClientLastEventId()).isTrue();
                    assertThat(p.getWriteTimeout()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(p.getMaxConnectionAge()).isEqualTo(Duration.ofHours(1));
                    assertThat(p.getDrainWindow()).isEqualTo(Duration.ofMillis(500));
                    assertThat(p.getFarewellEvent()).isEqualTo("bye");
                    assertThat(p.getMaxConnectionsPerClient()).isEqualTo(3);
                    assertThat(p.getGapEvent()).isEqualTo("reload");
                    ServletRegistrationBean<?> registration = ctx.getBean(ServletRegistrationBean.class);
                    assertThat(registration.getUrlMappings()).containsExactly("/api/stream");
                    assertThat(registration.getServletName()).isEqualTo("prices");
                });
    }

    @Test
    void withoutSseMaxConnectionsTheServletIsBoundedByTheProcesssFileLimit() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(os instanceof com.sun.management.UnixOperatingSystemMXBean);
        long files = ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
        web.run(ctx -> assertThat(servlet(ctx).connectionLimit())
                .isEqualTo((int) Math.min(Integer.MAX_VALUE, files - Math.max(64, files / 10))));
        web.withPropertyValues("sse.max-connections=0").run(ctx -> assertThat(servlet(ctx).connectionLimit()).isZero());
        web.withPropertyValues("sse.max-connections=100")
                .run(ctx -> assertThat(servlet(ctx).connectionLimit()).isEqualTo(100));
    }

    private static SseServlet servlet(org.springframework.context.ApplicationContext ctx) {
        return (SseServlet) ctx.getBean(SseAutoConfiguration.REGISTRATION_BEAN, ServletRegistrationBean.class)
                .getServlet();
    }

    @Test
    void sseGapEventTellsAClientThatResumesPastTheHistoryToReload() {
        web.withPropertyValues("sse.gap-event=reload", "sse.history-size=2", "sse.keep-alive=0").run(ctx -> {
            Hub hub = ctx.getBean(Hub.class);
            for (String d : java.util.List.of("a", "b", "c", "d")) {
                hub.broadcast(SseEvent.data(d));
            }
            java.util.List<String> wire = new java.util.ArrayList<>();
            hub.open(new dev.sse.core.spi.Transport() {
                private dev.sse.core.spi.FrameSource source;

                @Override
                public void attach(dev.sse.core.spi.FrameSource source) {
                    this.source = source;
                }

                @Override
                public void framesAvailable() {
                    for (dev.sse.core.SseFrame f = source.poll(); f != null; f = source.poll()) {
                        wire.add(f.toString());
                    }
                }

                @Override
                public void close() {
                    // No socket to end.
                }
            }, dev.sse.core.ChannelOptions.builder().lastEventId("1").build());
            assertThat(wire).containsExactly("event: reload\ndata:\n\n", "id: 3\ndata: c\n\n", "id: 4\ndata: d\n\n");
        });
    }

    @Test
    void aGapEventThatCannotGoOnTheWireFailsAtStartUpNamingTheProperty() {
        web.withPropertyValues("sse.gap-event=a b\rid: 1").run(ctx -> assertThat(ctx).getFailure()
                .hasStackTraceContaining("sse.gap-event must be a valid event type"));
    }

    @Test
    void theNewPropertiesAreInTheConfigurationMetadata() throws Exception {
        String metadata;
        try (java.io.InputStream in = SseProperties.class.getClassLoader()
                .getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated configuration metadata").isNotNull();
            metadata = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        for (String name : java.util.List.of("sse.max-connections", "sse.max-connections-per-client", "sse.gap-event")) {
            assertThat(metadata).containsPattern("\"name\"\\s*:\\s*\"" + java.util.regex.Pattern.quote(name) + "\"");
        }
        assertThat(metadata).contains("file limit");
    }

    @Test
    void anyOriginWithCredentialsFailsAtStartUpNamingTheRule() {
        web.withPropertyValues("sse.allowed-origins=*", "sse.allow-credentials=true")
                .run(ctx -> assertThat(ctx).getFailure().rootCause()
                        .hasMessageContaining("allowCredentials cannot be combined with allowedOrigins"));
    }

    @Test
    void anUnknownSlowClientPolicyFailsAtStartUp() {
        web.withPropertyValues("sse.slow-client-policy=never").run(ctx -> assertThat(ctx).hasFailed());
    }

    @Test
    void metricsAreBoundWhenMicrometerIsPresent() {
        web.run(ctx -> {
            assertThat(ctx).hasSingleBean(MeterBinder.class);
            MeterRegistry registry = new SimpleMeterRegistry();
            ctx.getBean(MeterBinder.class).bindTo(registry);
            assertThat(registry.get("sse.connections.active").tag("hub", "events").gauge().value()).isZero();
        });
    }

    @Test
    void noMetricsWithoutMicrometer() {
        web.withClassLoader(new FilteredClassLoader(MeterBinder.class))
                .run(ctx -> assertThat(ctx).hasSingleBean(Hub.class).doesNotHaveBean("sseHubMetrics"));
    }

    @Test
    void noMetricsWithoutTheSseMicrometerModule() {
        web.withClassLoader(new FilteredClassLoader(HubMetrics.class))
                .run(ctx -> assertThat(ctx).hasSingleBean(Hub.class).doesNotHaveBean("sseHubMetrics"));
    }

    @Test
    void theShutdownLifecycleStopsBeforeTheWebServersGracefulShutdown() {
        // WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE in Boot 3.x and 4.x; a higher phase stops first.
        int gracefulShutdownPhase = SmartLifecycle.DEFAULT_PHASE - 1024;
        web.run(ctx -> assertThat(ctx.getBean(SseShutdownLifecycle.class).getPhase())
                .isGreaterThan(gracefulShutdownPhase));
    }

    @Test
    void closingTheContextShutsEveryHubDown() {
        web.withUserConfiguration(TwoHubs.class).run(ctx -> {
            Hub clock = ctx.getBean("clock", Hub.class);
            Hub notifications = ctx.getBean("notifications", Hub.class);
            ctx.close();
            assertThatThrownBy(() -> clock.broadcast(SseEvent.data("late"))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> notifications.broadcast(SseEvent.data("late")))
                    .isInstanceOf(IllegalStateException.class);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OneHub {
        @Bean
        Hub myHub() {
            return Hub.create();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoHubs {
        @Bean(destroyMethod = "")
        Hub clock() {
            return Hub.create();
        }

        @Bean(destroyMethod = "")
        Hub notifications() {
            return Hub.create();
        }
    }

}
