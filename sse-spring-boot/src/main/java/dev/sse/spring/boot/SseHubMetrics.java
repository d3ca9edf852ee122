package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.micrometer.HubMetrics;
import dev.sse.micrometer.StreamMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Binds a {@link HubMetrics} for every {@code Hub} bean, tagged {@code hub=<bean name>}; the hub the starter creates
 * is tagged with {@code sse.name} instead. Spring Boot 3.x and 4.x both bind {@code MeterBinder} beans to their
 * registry.
 *
 * <p>Also binds a {@link StreamMetrics} ({@code sse.streams.*}) for the application's per-request streams once their
 * host exists: the reactive stack's at once; the servlet stack's once the web server has started the servlet context
 * that hosts them (at once if it has, else on the thread starting it), since a registry may be bound before the web
 * server starts and the host must not be built before its init-params are set.
 */
final class SseHubMetrics implements MeterBinder, DisposableBean {

    private final ListableBeanFactory beans;
    private final SseProperties properties;
    private final Consumer<Consumer<Hub>> streamHost;
    private final List<AutoCloseable> bound = new CopyOnWriteArrayList<>();

    /**
     * @param beans where the {@code Hub} beans are
     * @param properties {@code sse.name}, the starter's hub's tag
     * @param streamHost hands the per-request streams' host hub to its argument when it exists; never, without one
     */
    SseHubMetrics(ListableBeanFactory beans, SseProperties properties, Consumer<Consumer<Hub>> streamHost) {
        this.beans = beans;
        this.properties = properties;
        this.streamHost = streamHost;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Map.Entry<String, Hub> e : beans.getBeansOfType(Hub.class).entrySet()) {
            String name = SseAutoConfiguration.HUB_BEAN.equals(e.getKey()) ? properties.getName() : e.getKey();
            HubMetrics metrics = new HubMetrics(e.getValue(), name);
            metrics.bindTo(registry);
            bound.add(metrics);
        }
        streamHost.accept(host -> {
            StreamMetrics metrics = new StreamMetrics(host);
            metrics.bindTo(registry);
            bound.add(metrics);
        });
    }

    @Override
    public void destroy() throws Exception {
        for (AutoCloseable metrics : bound) {
            metrics.close();
        }
    }
}
