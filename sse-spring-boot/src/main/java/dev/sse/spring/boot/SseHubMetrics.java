package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.micrometer.HubMetrics;
import dev.sse.micrometer.StreamMetrics;
import dev.sse.servlet.SseStreams;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Binds a {@link HubMetrics} for every {@code Hub} bean, tagged {@code hub=<bean name>}; the hub the starter creates
 * is tagged with {@code sse.name} instead. Spring Boot 3.x and 4.x both bind {@code MeterBinder} beans to their
 * registry.
 *
 * <p>Also binds a {@link StreamMetrics} ({@code sse.streams.*}) for the application's per-request streams once the web
 * server has started the servlet context that hosts them (at once if it has, else on the thread starting it): a
 * registry may be bound before the web server starts, and the host must not be built before its init-params are set.
 */
final class SseHubMetrics implements MeterBinder, DisposableBean {

    private final ListableBeanFactory beans;
    private final SseProperties properties;
    private final ObjectProvider<SseStreamsInitializer> streams;
    private final List<AutoCloseable> bound = new CopyOnWriteArrayList<>();

    SseHubMetrics(ListableBeanFactory beans, SseProperties properties,
                  ObjectProvider<SseStreamsInitializer> streams) {
        this.beans = beans;
        this.properties = properties;
        this.streams = streams;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Map.Entry<String, Hub> e : beans.getBeansOfType(Hub.class).entrySet()) {
            String name = SseAutoConfiguration.HUB_BEAN.equals(e.getKey()) ? properties.getName() : e.getKey();
            HubMetrics metrics = new HubMetrics(e.getValue(), name);
            metrics.bindTo(registry);
            bound.add(metrics);
        }
        SseStreamsInitializer initializer = streams.getIfAvailable();
        if (initializer != null) {
            initializer.whenStarted(context -> {
                StreamMetrics metrics = new StreamMetrics(SseStreams.host(context));
                metrics.bindTo(registry);
                bound.add(metrics);
            });
        }
    }

    @Override
    public void destroy() throws Exception {
        for (AutoCloseable metrics : bound) {
            metrics.close();
        }
    }
}
