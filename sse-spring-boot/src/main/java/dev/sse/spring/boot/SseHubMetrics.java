package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.micrometer.HubMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * Binds a {@link HubMetrics} for every {@code Hub} bean, tagged {@code hub=<bean name>}; the hub the starter creates
 * is tagged with {@code sse.name} instead. Spring Boot 3.x and 4.x both bind {@code MeterBinder} beans to their
 * registry.
 */
final class SseHubMetrics implements MeterBinder, DisposableBean {

    private final ListableBeanFactory beans;
    private final SseProperties properties;
    private final List<HubMetrics> bound = new CopyOnWriteArrayList<>();

    SseHubMetrics(ListableBeanFactory beans, SseProperties properties) {
        this.beans = beans;
        this.properties = properties;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Map.Entry<String, Hub> e : beans.getBeansOfType(Hub.class).entrySet()) {
            String name = SseAutoConfiguration.HUB_BEAN.equals(e.getKey()) ? properties.getName() : e.getKey();
            HubMetrics metrics = new HubMetrics(e.getValue(), name);
            metrics.bindTo(registry);
            bound.add(metrics);
        }
    }

    @Override
    public void destroy() {
        bound.forEach(HubMetrics::close);
    }
}
