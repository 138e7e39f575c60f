// The type a dashboard JSON must have: Grafana's own types from @grafana/schema, with each panel's
// options, field config and queries typed by its plugin's published schema where Grafana has one.
// dashboards/schema_check.py writes each dashboard into a .ts file in a temporary directory as
// `const dashboard: CheckedDashboard = <the JSON>;` and runs `tsc --noEmit --strict` on it.
//
// The one liberty taken: JSON cannot name a TypeScript string enum member (`MappingType.ValueToText`),
// only its value ("value"), so `Json<T>` turns every string enum into the union of its values.
// Nothing else is relaxed: every property Grafana's types require is required, and an object
// literal may only hold the properties its type declares (excess property checks).
import type * as schema from "@grafana/schema";
import type * as barchart from "@grafana/schema/dist/esm/raw/composable/barchart/panelcfg/x/BarChartPanelCfg_types.gen";
import type * as bargauge from "@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen";
import type * as gauge from "@grafana/schema/dist/esm/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen";
import type * as heatmap from "@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen";
import type * as histogram from "@grafana/schema/dist/esm/raw/composable/histogram/panelcfg/x/HistogramPanelCfg_types.gen";
import type * as piechart from "@grafana/schema/dist/esm/raw/composable/piechart/panelcfg/x/PieChartPanelCfg_types.gen";
import type * as prometheus from "@grafana/schema/dist/esm/raw/composable/prometheus/dataquery/x/PrometheusDataQuery_types.gen";
import type * as stat from "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen";
import type * as statetimeline from "@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen";
import type * as statushistory from "@grafana/schema/dist/esm/raw/composable/statushistory/panelcfg/x/StatusHistoryPanelCfg_types.gen";
import type * as table from "@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen";
import type * as text from "@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen";
import type * as timeseries from "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen";

/** A value as JSON writes it: a string enum member is its string, everything else as typed. */
export type Json<T> = T extends string
  ? `${T}` // a string enum becomes its values; `string` and string literals stay as they are
  : T extends number | boolean | null | undefined
    ? T // a numeric enum already accepts its values as number literals
    : T extends readonly (infer U)[]
      ? Json<U>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** Every panel query is a Prometheus query: the dashboards read one Prometheus data source. */
export type Target = Json<prometheus.PrometheusDataQuery>;

/** A panel of plugin `K`: its options and its field config's `custom` as that plugin declares them. */
type PluginPanel<K extends string, Options, Custom = Record<string, unknown>> = Omit<
  Json<schema.Panel>,
  "type" | "options" | "fieldConfig" | "targets"
> & {
  type: K;
  options?: Json<Options>;
  fieldConfig?: {
    defaults: Omit<Json<schema.FieldConfig>, "custom"> & { custom?: Json<Custom> };
    overrides: Json<schema.FieldConfigSource["overrides"]>;
  };
  targets?: Target[];
};

/** The panel plugins Grafana 10.4 publishes a schema for and the dashboards may use, by plugin id.
 * A panel of any other type fails the check: add its plugin here first. */
export type Panel =
  | PluginPanel<"barchart", barchart.Options, barchart.FieldConfig>
  | PluginPanel<"bargauge", bargauge.Options>
  | PluginPanel<"gauge", gauge.Options>
  | PluginPanel<"heatmap", heatmap.Options, heatmap.FieldConfig>
  | PluginPanel<"histogram", histogram.Options, histogram.FieldConfig>
  | PluginPanel<"piechart", piechart.Options, piechart.FieldConfig>
  | PluginPanel<"stat", stat.Options>
  | PluginPanel<"state-timeline", statetimeline.Options, statetimeline.FieldConfig>
  | PluginPanel<"status-history", statushistory.Options, statushistory.FieldConfig>
  | PluginPanel<"table", table.Options, table.FieldConfig>
  | PluginPanel<"text", text.Options>
  | PluginPanel<"timeseries", timeseries.Options, timeseries.FieldConfig>;

/** A row: the panels of a collapsed one are typed like any other. */
export type RowPanel = Omit<Json<schema.RowPanel>, "panels"> & { panels: Panel[] };

/** An annotation query of the Prometheus data source: Grafana's `AnnotationQuery` with its
 * `target` a Prometheus query (as a panel's), and the fields that data source reads beside the
 * query to turn series into events (Grafana publishes no schema for them: they are declared
 * here, each optional, and nothing else may be added). */
export type Annotation = Omit<Json<schema.AnnotationQuery>, "target"> & {
  target?: Target;
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
  step?: string;
};

/** A dashboard: Grafana's `Dashboard`, its panels typed by plugin, its annotations as above. */
export type CheckedDashboard = Omit<Json<schema.Dashboard>, "panels" | "annotations"> & {
  panels?: (Panel | RowPanel)[];
  annotations?: { list?: Annotation[] };
};
