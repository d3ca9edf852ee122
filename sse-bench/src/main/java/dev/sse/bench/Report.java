package dev.sse.bench;

import dev.sse.bench.server.ServerKind;
import java.math.BigDecimal;
import java.math.MathContext;
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
        Table t = new Table(title, "server", ServerKind.OURS.label(), new String[] {keyName}, lowerIsBetter, columns);
        parts.add(t);
        return t;
    }

    /**
     * A table whose rows are not servers: {@code rowHeader} heads the first column, {@code baseline} names the row
     * the ratios divide, and there is one ratio column per key.
     */
    Table table(String title, String rowHeader, String baseline, String[] keyNames, boolean lowerIsBetter,
            String... columns) {
        Table t = new Table(title, rowHeader, baseline, keyNames, lowerIsBetter, columns);
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
        private final String rowHeader;
        private final String baseline;
        private final String[] keyNames;
        private final boolean lowerIsBetter;
        private final String[] columns;
        private final Map<String, String[]> rows = new LinkedHashMap<>();
        private final Map<String, double[]> keys = new LinkedHashMap<>();
        private final List<String> notes = new ArrayList<>();

        private Table(String title, String rowHeader, String baseline, String[] keyNames, boolean lowerIsBetter,
                String[] columns) {
            this.title = title;
            this.rowHeader = rowHeader;
            this.baseline = baseline;
            this.keyNames = keyNames;
            this.lowerIsBetter = lowerIsBetter;
            this.columns = columns;
        }

        void row(ServerKind kind, double key, String... cells) {
            row(kind.label(), new double[] {key}, cells);
        }

        void row(String label, double[] rowKeys, String... cells) {
            rows.put(label, cells);
            keys.put(label, rowKeys);
        }

        void note(String note) {
            notes.add(note);
        }

        private void render(StringBuilder sb) {
            sb.append("### ").append(title).append("\n\n| ").append(rowHeader).append(" |");
            for (String c : columns) {
                sb.append(' ').append(c).append(" |");
            }
            for (String keyName : keyNames) {
                sb.append(" ours ÷ server (").append(keyName)
                        .append(lowerIsBetter ? ", lower is better" : ", higher is better").append(") |");
            }
            sb.append("\n|---|");
            for (int i = 0; i < columns.length + keyNames.length; i++) {
                sb.append("---:|");
            }
            sb.append('\n');
            double[] ours = keys.get(baseline);
            for (Map.Entry<String, String[]> r : rows.entrySet()) {
                sb.append("| ").append(r.getKey()).append(" |");
                for (int i = 0; i < columns.length; i++) {
                    String[] cells = r.getValue();
                    sb.append(' ').append(i < cells.length ? cells[i] : "").append(" |");
                }
                double[] k = keys.get(r.getKey());
                for (int i = 0; i < keyNames.length; i++) {
                    sb.append(' ').append(ratio(ours == null ? Double.NaN : ours[i], k[i])).append(" |");
                }
                sb.append('\n');
            }
            for (String n : notes) {
                sb.append("\n").append(n).append('\n');
            }
        }

        private static String ratio(double ours, double other) {
            if (Double.isNaN(ours) || Double.isNaN(other)) {
                return "n/a";
            }
            if (other == 0) {
                return ours == 0 ? "1.00" : "∞";
            }
            double r = ours / other;
            if (r != 0 && Math.abs(r) < 0.1) {
                // Amortised figures (one encoding for 10,000 recipients) give ratios that two decimals show as 0.00.
                return new BigDecimal(r).round(new MathContext(2)).toPlainString();
            }
            return String.format(Locale.ROOT, "%.2f", r);
        }
    }
}
