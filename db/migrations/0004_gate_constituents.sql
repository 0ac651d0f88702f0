CREATE TABLE "gate_constituents" (
	"gate_build_id" bigint NOT NULL,
	"build_id" bigint NOT NULL,
	"job" text NOT NULL,
	CONSTRAINT "gate_constituents_gate_build_id_build_id_pk" PRIMARY KEY("gate_build_id","build_id")
);
