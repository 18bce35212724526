-- 03_listings.sql - seed: the six listings of the original R-Cycle demo
-- (SEED.md), all inserted as available; 04_claims.sql then claims
-- SRV003-DELL-R630. created_by is the creator's e-mail and created_by_id their
-- account, looked up by e-mail. A serial that has any listing already (even
-- a withdrawn or expired one) is skipped, so a second run adds nothing and a
-- seeded listing that users have since closed is not brought back. Each new
-- listing gets its 'created' audit event in the same statement.
WITH inserted AS (
INSERT INTO listings.listings
  (serial_number, title, category, description, location, condition, department,
   cpu, ram, storage, ports, other_specs, status, expiration_date, created_by_id, created_by)
SELECT v.serial_number, v.title, v.category, v.description, v.location, v.condition, v.department,
       v.cpu, v.ram, v.storage, v.ports, v.other_specs, 'available', current_date + v.days,
       a.id, a.email
FROM (VALUES
  (1, 'SRV001-DELL-R730', 'Dell PowerEdge R730 Server', 'Server',
   'Dual-socket server, good for development workloads', 'Building A, Floor 3, Rack 12', 'Good',
   'IT Infrastructure', '2x Intel Xeon E5-2630 v4 (10-core, 2.2GHz)', '128GB DDR4 ECC',
   'No drives installed (removed per security policy)', '4x 1GbE, 2x 10GbE',
   'Dual 750W PSU, iDRAC Enterprise', 30, 'john.doe@company.com'),
  (2, 'SRV002-HP-DL380', 'HP ProLiant DL380 Gen9', 'Server',
   'Reliable workhorse server, rack-ready', 'Building B, Floor 2, Rack 5', 'Fair',
   'Data Center Operations', '2x Intel Xeon E5-2660 v3 (10-core, 2.6GHz)', '64GB DDR4 ECC',
   'No drives installed', '4x 1GbE',
   'Dual 500W PSU, iLO 4 Advanced', 21, 'jane.smith@company.com'),
  (3, 'NET001-CISCO-2960', 'Cisco Catalyst 2960-X Switch', 'Networking',
   '48-port gigabit switch with 4x SFP+ uplinks', 'Building A, Floor 1, Network Closet', 'Excellent',
   'IT Infrastructure', 'N/A', 'N/A',
   'N/A', '48x 1GbE, 4x 10G SFP+',
   'PoE+ support, LAN Base license', 45, 'john.doe@company.com'),
  (4, 'NET002-CISCO-ASR', 'Cisco ASR 1001-X Router', 'Networking',
   'Enterprise router, minimal usage hours', 'Building C, Data Center', 'Good',
   'Data Center Operations', 'N/A', 'N/A',
   'N/A', '6x 1GbE, 2x 10GbE SFP+',
   'IP Base license, dual AC power', 14, 'jane.smith@company.com'),
  (5, 'STG001-NETAPP-SHELF', 'NetApp DS4246 Disk Shelf', 'Storage',
   'Disk shelf only - no drives included', 'Building B, Floor 2, Rack 8', 'Good',
   'IT Infrastructure', 'N/A', 'N/A',
   'No drives - shelf only', '2x SAS connections',
   '24-bay 3.5" disk shelf, dual IOM6 modules', 20, 'john.doe@company.com'),
  (6, 'SRV003-DELL-R630', 'Dell PowerEdge R630 Server', 'Server',
   'Compact 1U server, recently decommissioned', 'Building A, Floor 3, Rack 15', 'Excellent',
   'Development Team', '2x Intel Xeon E5-2680 v4 (14-core, 2.4GHz)', '256GB DDR4 ECC',
   'No drives installed', '4x 1GbE, 2x 10GbE',
   'Dual 495W PSU, iDRAC Enterprise, 8x 2.5" bays', 25, 'bob.johnson@company.com')
) AS v (ord, serial_number, title, category, description, location, condition, department,
        cpu, ram, storage, ports, other_specs, days, creator)
JOIN users.accounts AS a ON a.email = v.creator
WHERE NOT EXISTS (SELECT 1 FROM listings.listings AS l WHERE l.serial_number = v.serial_number)
-- In SEED.md's order, so the ids are too.
ORDER BY v.ord
RETURNING id, created_by_id, department
)
INSERT INTO listings.events (listing_id, actor_id, actor_department, action, to_status, note)
SELECT i.id, i.created_by_id, i.department, 'created', 'available', 'seed data'
FROM inserted AS i
ORDER BY i.id;
