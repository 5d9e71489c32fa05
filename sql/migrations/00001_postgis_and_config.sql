-- PostGIS and the configuration table. Every rule DOMAIN.md calls "configurable" lives here as
-- JSON, so deadlines and cycles can change without a migration.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE config (
  key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]*$'),
  value       jsonb NOT NULL,
  description text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO config (key, value, description) VALUES
  ('timezone', '"Asia/Shanghai"', '显示与统计窗口使用的时区 / time zone for display and day boundaries'),
  ('visit.cycle_days.address', '{"key":30,"attention":60,"general":180}', '地址走访周期（天）/ visit cycle per address category, days'),
  ('visit.cycle_days.control_level', '{"1":7,"2":30,"3":90}', '重点人员走访周期（天）/ visit cycle per control level, days'),
  ('visit.onsite_radius_m', '100', '走访定位与地址距离上限（米）/ max distance of a visit fix from its address'),
  ('visit.copresence', '{"radius_m":100,"minutes":30}', '民辅警与网格员共同走访判定 / joint-visit co-presence window'),
  ('visit.due_soon_days', '7', '即将到期提前天数 / days before a cycle ends that count as due soon'),
  ('patrol.segment', '{"max_gap_s":300,"max_gap_m":2000}', '连续定位成段条件 / consecutive fixes forming a travelled segment'),
  ('patrol.coverage', '{"buffer_m":50,"h3_resolution":10}', '巡逻覆盖缓冲与H3分辨率 / patrol coverage buffer and H3 resolution'),
  ('event.deadline_hours', '{"public_security":{"1":72,"2":48,"3":24,"4":4},"dispute":{"1":24,"2":24,"3":12,"4":4},"hazard":{"1":168,"2":72,"3":24,"4":4},"service_request":{"1":168,"2":72,"3":48,"4":24},"support_request":{"1":1,"2":1,"3":1,"4":1}}', '事件办结时限（小时，按类型与等级）/ closure deadline per type and severity, hours'),
  ('event.dispute_general_deadline_hours', '24', '一般纠纷网格长即时调解时限 / general dispute mediation deadline'),
  ('support.ack_minutes', '5', '支援请求响应时限 / support request acknowledgement limit'),
  ('support.arrive_minutes', '20', '支援请求到场时限 / support request arrival limit');
