-- What live scoring keeps of each finished care day (models.summary), one row per home and day, written as
-- the day closes. After a restart a home's scorer is rebuilt from these rows and a day or two of its events,
-- instead of replaying five weeks of events. Not a hypertable: a handful of small rows per home.
CREATE TABLE day_summaries (
    home_id        text NOT NULL REFERENCES homes ON DELETE CASCADE,
    day            date NOT NULL,                 -- the care day, 04:00 to 04:00 local time
    usable         boolean NOT NULL,              -- models.day.usable
    pace           double precision,              -- DayFeatures.pace (s); NULL: too few movements
    -- models.slowing.MEASURES; NULL where the day had too little of it
    seated_pauses  double precision,
    seated_pace    double precision,
    moving_pace    double precision,
    sit_length     double precision,
    movement       double precision,
    closed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_id, day)
);
