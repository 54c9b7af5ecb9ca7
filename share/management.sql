-- Artemis management database, SQLite (schema version 1).
--
-- Derived from the Java server's artemis-managment.sql (20 MySQL tables). MySQL's
-- utf8_general_ci made every key and filter case-insensitive; here the text columns
-- are declared COLLATE NOCASE so UNIQUE keys and WHERE matches behave the same way
-- (trailing spaces are not ignored, unlike MySQL). VARCHAR(n) limits are CHECKed, so
-- an oversized value fails the statement (MySQL strict mode) and the transaction
-- rolls back. Times are epoch milliseconds. mgmt_version is bumped by every write
-- transaction of artemis-mgmtd; readers (artemis-discoveryd) compare it.
--
-- artemis-mgmtd applies this file (embedded in cmd/artemis-mgmtd/store.c, checked
-- identical by test/unit/test_artemis-mgmtd_store.c) as migration 1.

CREATE TABLE schema_version (
  version     INTEGER PRIMARY KEY,
  applied_ms  INTEGER NOT NULL
);

CREATE TABLE mgmt_version (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  version     INTEGER NOT NULL
);
INSERT INTO mgmt_version (id, version) VALUES (1, 1);

CREATE TABLE instance (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (instance_id, service_id, region_id, operation)
);

CREATE TABLE instance_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  complete             INTEGER NOT NULL DEFAULT 0,
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX instance_log_key ON instance_log (instance_id, service_id, region_id, operation);

CREATE TABLE server (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  server_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(server_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (server_id, region_id, operation)
);

CREATE TABLE server_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  server_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(server_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  complete             INTEGER NOT NULL DEFAULT 0,
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX server_log_key ON server_log (server_id, region_id, operation);

CREATE TABLE service_group (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),
  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),
  app_id               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(app_id) <= 255),
  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),
  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),
  deleted              INTEGER NOT NULL DEFAULT 0,
  type                 TEXT NOT NULL DEFAULT 'physical' COLLATE NOCASE CHECK (length(type) <= 64),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (service_id, region_id, zone_id, name)
);
CREATE INDEX service_group_service ON service_group (service_id);

CREATE TABLE service_group_instance (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (group_id, instance_id)
);

CREATE TABLE service_group_instance_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_group_instance_log_key ON service_group_instance_log (group_id, instance_id);

CREATE TABLE service_group_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  parent_id            INTEGER NOT NULL DEFAULT 0,
  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),
  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),
  weight               INTEGER DEFAULT NULL,
  type                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(type) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),
  app_id               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(app_id) <= 255),
  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_group_log_name ON service_group_log (name, parent_id);

CREATE TABLE service_group_operation (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (group_id, operation)
);

CREATE TABLE service_group_operation_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  complete             INTEGER NOT NULL DEFAULT 0,
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_group_operation_log_key ON service_group_operation_log (group_id, operation);

CREATE TABLE service_group_tag (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  tag                  TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(tag) <= 255),
  value                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(value) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (group_id, tag)
);

CREATE TABLE service_group_tag_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id             INTEGER NOT NULL DEFAULT 0,
  tag                  TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(tag) <= 255),
  value                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(value) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);

CREATE TABLE service_instance (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),
  ip                   TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(ip) <= 255),
  machine_name         TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(machine_name) <= 255),
  metadata             TEXT NOT NULL DEFAULT '' CHECK (length(metadata) <= 1024),
  port                 INTEGER NOT NULL DEFAULT 80,
  protocol             TEXT NOT NULL DEFAULT 'http' COLLATE NOCASE CHECK (length(protocol) <= 16),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 16),
  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 128),
  group_id             TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(group_id) <= 255),
  healthy_check_url    TEXT NOT NULL DEFAULT '' CHECK (length(healthy_check_url) <= 512),
  url                  TEXT NOT NULL DEFAULT '' CHECK (length(url) <= 512),
  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (service_id, instance_id)
);

CREATE TABLE service_instance_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),
  ip                   TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(ip) <= 255),
  machine_name         TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(machine_name) <= 255),
  metadata             TEXT NOT NULL DEFAULT '' CHECK (length(metadata) <= 1024),
  port                 INTEGER NOT NULL DEFAULT 80,
  protocol             TEXT NOT NULL DEFAULT 'http' COLLATE NOCASE CHECK (length(protocol) <= 16),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 16),
  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 128),
  group_id             TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(group_id) <= 255),
  healthy_check_url    TEXT NOT NULL DEFAULT '' CHECK (length(healthy_check_url) <= 512),
  url                  TEXT NOT NULL DEFAULT '' CHECK (length(url) <= 512),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_instance_log_key ON service_instance_log (service_id, instance_id);

CREATE TABLE service_route_rule (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),
  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),
  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),
  deleted              INTEGER NOT NULL DEFAULT 0,
  strategy             TEXT NOT NULL DEFAULT 'weighted-round-robin' COLLATE NOCASE CHECK (length(strategy) <= 64),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (service_id, name)
);

CREATE TABLE service_route_rule_group (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  route_rule_id        INTEGER NOT NULL DEFAULT 0,
  group_id             INTEGER NOT NULL DEFAULT 0,
  weight               INTEGER DEFAULT NULL,
  unreleased_weight    INTEGER DEFAULT NULL,
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (route_rule_id, group_id)
);

CREATE TABLE service_route_rule_group_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  route_rule_id        INTEGER NOT NULL DEFAULT 0,
  group_id             INTEGER NOT NULL DEFAULT 0,
  weight               INTEGER DEFAULT NULL,
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_route_rule_group_log_key ON service_route_rule_group_log (route_rule_id, group_id);

CREATE TABLE service_route_rule_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),
  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),
  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_route_rule_log_key ON service_route_rule_log (name, service_id);

CREATE TABLE service_zone (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  UNIQUE (service_id, region_id, zone_id, operation)
);

CREATE TABLE service_zone_log (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),
  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),
  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),
  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),
  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),
  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),
  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),
  complete             INTEGER NOT NULL DEFAULT 0,
  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE INDEX service_zone_log_key ON service_zone_log (service_id, region_id, zone_id, operation);

-- DataChange_LastTime was ON UPDATE CURRENT_TIMESTAMP in MySQL.
CREATE TRIGGER instance_touch AFTER UPDATE ON instance BEGIN
  UPDATE instance SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
CREATE TRIGGER server_touch AFTER UPDATE ON server BEGIN
  UPDATE server SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
CREATE TRIGGER service_group_touch AFTER UPDATE ON service_group BEGIN
  UPDATE service_group SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
CREATE TRIGGER service_group_tag_touch AFTER UPDATE ON service_group_tag BEGIN
  UPDATE service_group_tag SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
CREATE TRIGGER service_route_rule_touch AFTER UPDATE ON service_route_rule BEGIN
  UPDATE service_route_rule SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
CREATE TRIGGER service_route_rule_group_touch AFTER UPDATE ON service_route_rule_group BEGIN
  UPDATE service_route_rule_group SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
CREATE TRIGGER service_instance_touch AFTER UPDATE ON service_instance BEGIN
  UPDATE service_instance SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;
