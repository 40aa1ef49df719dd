package io.tslab.bench.report;

import io.tslab.bench.harness.LatencyHarness;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;

/**
 * Draws latency percentiles per allocator (x: p50 .. max, y: nanoseconds on a log scale) as a PNG
 * with JFreeChart; the timer floor is the dashed grey line.
 */
public final class LatencyChart {
    private static final Color[] PALETTE = {
            new Color(0xD6, 0x27, 0x28), // tslab: red, drawn thick
            new Color(0x1F, 0x77, 0xB4), new Color(0x2C, 0xA0, 0x2C), new Color(0xFF, 0x7F, 0x0E),
            new Color(0x94, 0x67, 0xBD), new Color(0x8C, 0x56, 0x4B), new Color(0xE3, 0x77, 0xC2),
            new Color(0x17, 0xBE, 0xCF), new Color(0xBC, 0xBD, 0x22), new Color(0x39, 0x3B, 0x79),
    };

    private LatencyChart() {
    }

    /** Writes the chart of {@code rows} (one size and thread count) to {@code png}. */
    public static void write(List<LatencyHarness.Row> rows, String title, String subtitle, Path png) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (LatencyHarness.Row row : rows) {
            long[] values = row.percentiles();
            for (int i = 0; i < values.length; i++) {
                data.addValue(Math.max(1, values[i]), row.allocator(), LatencyHarness.PERCENTILES.get(i));
            }
        }
        CategoryAxis x = new CategoryAxis("percentile");
        x.setLowerMargin(0.02);
        x.setUpperMargin(0.02);
        LogAxis y = new LogAxis("latency of one alloc+free pair (ns, log scale)");
        y.setBase(10);
        y.setTickUnit(new NumberTickUnit(1));
        y.setNumberFormatOverride(new DecimalFormat("#,##0"));
        y.setSmallestValue(1);
        y.setTickLabelFont(new Font("SansSerif", Font.PLAIN, 12));
        y.setLabelFont(new Font("SansSerif", Font.PLAIN, 14));
        x.setTickLabelFont(new Font("SansSerif", Font.PLAIN, 13));
        x.setLabelFont(new Font("SansSerif", Font.PLAIN, 14));
        LineAndShapeRenderer renderer = new LineAndShapeRenderer(true, true);
        for (int s = 0; s < data.getRowCount(); s++) {
            String name = (String) data.getRowKey(s);
            if (name.equals(LatencyHarness.TIMER_FLOOR)) {
                renderer.setSeriesPaint(s, Color.GRAY);
                renderer.setSeriesStroke(s, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
            } else {
                int colour = name.equals("tslab") ? 0 : 1 + Math.floorMod(s - 1, PALETTE.length - 1);
                renderer.setSeriesPaint(s, PALETTE[colour]);
                renderer.setSeriesStroke(s, new BasicStroke(name.equals("tslab") ? 4f : 2f));
            }
        }
        CategoryPlot plot = new CategoryPlot(data, x, y, renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xCC, 0xCC, 0xCC));
        plot.setRangeGridlinesVisible(true);
        plot.setDomainGridlinesVisible(true);
        plot.setDomainGridlinePaint(new Color(0xE0, 0xE0, 0xE0));
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 18), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle(subtitle, new Font("SansSerif", Font.PLAIN, 12)));
        LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setItemFont(new Font("SansSerif", Font.PLAIN, 13));
        Files.createDirectories(png.toAbsolutePath().getParent());
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1200, 700);
    }
}
