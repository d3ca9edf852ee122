package dev.sse.bench;

import dev.sse.bench.server.ServerKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run's markdown tables: one per scenario, one row per server, and a last column with ours divided by that
 * row's server for the scenario's key figure, so every claim reads as a ratio measured in the same run.
 * Used from the orchestrating thread only.
 */
final class Report {

    Table table(String title, String keyName, boolean lowerIsBetter, String... columns) {
        Table t = new Table(title, keyName, lowerIsBetter, columns);
        parts.add(t);
        return t;
    }

    private final List<Object> parts = new ArrayList<>();

    void text(String markdown) {
        parts.add(markdown);
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        for (Object p : parts) {
            if (p instanceof Table) {
                ((Table) p).render(sb);
            } else {
                sb.append(p);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        return String.format(Locale.ROOT, "%,.1f", v);
    }

    /** One scenario's table. */
    static final class Table {
        private final String title;
        private final String keyName;
        private final boolean lowerIsBetter;
        private final String[] columns;
        private final Map<String, String[]> rows = new LinkedHashMap<>();
        private final Map<String, Double> keys = new LinkedHashMap<>();
        private final List<String> notes = new ArrayList<>();

        private Table(String title, String keyName, boolean lowerIsBetter, String[] columns) {
            this.title = title;
            this.keyName = keyName;
            this.lowerIsBetter = lowerIsBetter;
            this.columns = columns;
        }

        void row(ServerKind kind, double key, String... cells) {
            rows.put(kind.label(), cells);
            keys.put(kind.label(), key);
        }

        void note(String note) {
            notes.add(note);
        }

        private void render(StringBuilder sb) {
            sb.append("### ").append(title).append("\n\n| server |");
            for (String c : columns) {
                sb.append(' ').append(c).append(" |");
            }
            sb.append(" ours ÷ server (").append(keyName).append(lowerIsBetter ? ", lower is better" : ", higher is better")
                    .append(") |\n|---|");
            for (int i = 0; i <= columns.length; i++) {
                sb.append("---:|");
            }
            sb.append('\n');
            Double ours = keys.get(ServerKind.OURS.label());
            for (Map.Entry<String, String[]> r : rows.entrySet()) {
                sb.append("| ").append(r.getKey()).append(" |");
                for (int i = 0; i < columns.length; i++) {
                    String[] cells = r.getValue();
                    sb.append(' ').append(i < cells.length ? cells[i] : "").append(" |");
                }
                Double k = keys.get(r.getKey());
                String ratio;
                if (ours == null || k == null || k.isNaN() || ours.isNaN()) {
                    ratio = "n/a";
                } else if (k == 0) {
                    ratio = ours == 0 ? "1.00" : "∞";
                } else {
                    ratio = String.format(Locale.ROOT, "%.2f", ours / k);
                }
                sb.append(' ').append(ratio).append(" |\n");
            }
            for (String n : notes) {
                sb.append("\n").append(n).append('\n');
            }
        }
    }
}
