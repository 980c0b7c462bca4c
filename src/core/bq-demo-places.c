/* bq-demo-places.c — sites, centres, airports and flights of the demo
 *
 * The two CDMOs (Isotopia, Meridian) are fictional.  The hospitals are
 * real centres that treat with radioligands; their weekly volumes here are
 * invented and scaled so the network's four sites can supply them.  Flight
 * numbers, departure times and the Class 7 flags are invented too: they
 * describe no real timetable and no real carrier's dangerous-goods policy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bq-demo-private.h"

#define EU BQ_DEMO_REGION_EUROPE
#define NA BQ_DEMO_REGION_NORTH_AMERICA
#define CN BQ_DEMO_REGION_CHINA

const BqDemoSite bq_demo_sites[] = {
  { "site-nl-pet", "Isotopia Petten", "Isotopia Contract Manufacturing",
    "Petten", "NL", EU, "Europe/Amsterdam", 52.785, 4.670, "NLP", "AMS" },
  { "site-us-fis", "Meridian Fishers", "Meridian Radiopharma",
    "Fishers", "US", NA, "America/Indiana/Indianapolis", 39.955, -86.013, "USF", "IND" },
  { "site-cn-ctu", "Isotopia Chengdu", "Isotopia Contract Manufacturing",
    "Chengdu", "CN", CN, "Asia/Shanghai", 30.410, 104.030, "CNC", "CTU" },
  { "site-cn-sha", "Meridian Shanghai Zhangjiang", "Meridian Radiopharma",
    "Shanghai", "CN", CN, "Asia/Shanghai", 31.205, 121.590, "CNS", "PVG" },
};
const guint bq_demo_n_sites = G_N_ELEMENTS (bq_demo_sites);

/* Alpha emitters get their own isolator: Ac-225 must never reach a
 * Lu-177 dose, so no line makes both. */
const BqDemoLine bq_demo_lines[] = {
  { "line-nl-pet-1", "site-nl-pet", 1, "Hot cell 1 (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-nl-pet-2", "site-nl-pet", 2, "Hot cell 2 (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-nl-pet-3", "site-nl-pet", 3, "Alpha isolator (Ac-225)", BQ_DEMO_MAKES_AC225 },
  { "line-us-fis-1", "site-us-fis", 1, "Hot cell 1 (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-us-fis-2", "site-us-fis", 2, "Hot cell 2 (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-us-fis-3", "site-us-fis", 3, "Alpha isolator (Ac-225)", BQ_DEMO_MAKES_AC225 },
  { "line-cn-ctu-1", "site-cn-ctu", 1, "Hot cell A (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-cn-ctu-2", "site-cn-ctu", 2, "Hot cell B (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-cn-sha-1", "site-cn-sha", 1, "Hot cell 1 (Lu-177)", BQ_DEMO_MAKES_LU177 },
  { "line-cn-sha-2", "site-cn-sha", 2, "Hot cell 2 (Lu-177)", BQ_DEMO_MAKES_LU177 },
};
const guint bq_demo_n_lines = G_N_ELEMENTS (bq_demo_lines);

const BqDemoCentre bq_demo_centres[] = {
  /* Europe: served from Petten */
  { "centre-de-muc-tum", "TUM Klinikum rechts der Isar", "Munich", "DE", EU,
    "Europe/Berlin", 48.137, 11.599, 5, 3 },
  { "centre-de-ber-cha", "Charité – Universitätsmedizin Berlin", "Berlin", "DE", EU,
    "Europe/Berlin", 52.542, 13.344, 3, 1 },
  { "centre-de-ess-uke", "Universitätsklinikum Essen", "Essen", "DE", EU,
    "Europe/Berlin", 51.435, 6.991, 5, 2 },
  { "centre-de-hei-ukhd", "Universitätsklinikum Heidelberg", "Heidelberg", "DE", EU,
    "Europe/Berlin", 49.417, 8.670, 4, 3 },
  { "centre-de-wue-ukw", "Universitätsklinikum Würzburg", "Würzburg", "DE", EU,
    "Europe/Berlin", 49.807, 9.957, 2, 0 },
  { "centre-fr-par-hegp", "Hôpital Européen Georges-Pompidou", "Paris", "FR", EU,
    "Europe/Paris", 48.839, 2.273, 3, 0 },
  { "centre-fr-vil-gr", "Gustave Roussy", "Villejuif", "FR", EU,
    "Europe/Paris", 48.794, 2.350, 3, 1 },
  { "centre-fr-lyo-clb", "Centre Léon Bérard", "Lyon", "FR", EU,
    "Europe/Paris", 45.744, 4.883, 2, 0 },
  { "centre-nl-rtm-emc", "Erasmus MC", "Rotterdam", "NL", EU,
    "Europe/Amsterdam", 51.911, 4.469, 3, 1 },
  { "centre-nl-nij-rad", "Radboudumc", "Nijmegen", "NL", EU,
    "Europe/Amsterdam", 51.824, 5.862, 2, 0 },
  { "centre-nl-ams-nki", "Netherlands Cancer Institute – Antoni van Leeuwenhoek", "Amsterdam", "NL", EU,
    "Europe/Amsterdam", 52.347, 4.843, 2, 0 },
  { "centre-be-leu-uzl", "UZ Leuven Gasthuisberg", "Leuven", "BE", EU,
    "Europe/Brussels", 50.880, 4.672, 2, 0 },
  { "centre-be-gnt-uzg", "UZ Gent", "Ghent", "BE", EU,
    "Europe/Brussels", 51.023, 3.724, 2, 0 },
  { "centre-se-sto-ks", "Karolinska University Hospital Solna", "Stockholm", "SE", EU,
    "Europe/Stockholm", 59.350, 18.032, 2, 0 },
  { "centre-dk-cph-rh", "Rigshospitalet", "Copenhagen", "DK", EU,
    "Europe/Copenhagen", 55.696, 12.566, 2, 0 },
  { "centre-gb-lon-rm", "The Royal Marsden", "London", "GB", EU,
    "Europe/London", 51.490, -0.173, 2, 0 },
  { "centre-gb-man-chr", "The Christie", "Manchester", "GB", EU,
    "Europe/London", 53.429, -2.231, 2, 0 },
  { "centre-es-bcn-vh", "Hospital Universitari Vall d'Hebron", "Barcelona", "ES", EU,
    "Europe/Madrid", 41.428, 2.143, 2, 0 },
  { "centre-es-mad-12o", "Hospital Universitario 12 de Octubre", "Madrid", "ES", EU,
    "Europe/Madrid", 40.375, -3.699, 1, 0 },
  { "centre-it-rom-gem", "Policlinico Universitario Agostino Gemelli", "Rome", "IT", EU,
    "Europe/Rome", 41.932, 12.428, 2, 0 },
  { "centre-it-mil-ieo", "Istituto Europeo di Oncologia", "Milan", "IT", EU,
    "Europe/Rome", 45.421, 9.206, 2, 0 },
  { "centre-at-vie-akh", "AKH Wien – Universitätsklinikum", "Vienna", "AT", EU,
    "Europe/Vienna", 48.220, 16.347, 2, 1 },
  { "centre-ch-ber-ins", "Inselspital Bern", "Bern", "CH", EU,
    "Europe/Zurich", 46.947, 7.425, 2, 1 },
  { "centre-ch-zrh-usz", "Universitätsspital Zürich", "Zurich", "CH", EU,
    "Europe/Zurich", 47.377, 8.551, 1, 0 },
  { "centre-no-osl-rh", "Oslo University Hospital – Radiumhospitalet", "Oslo", "NO", EU,
    "Europe/Oslo", 59.930, 10.661, 1, 0 },

  /* North America: served from Fishers */
  { "centre-us-nyc-mskcc", "Memorial Sloan Kettering Cancer Center", "New York", "US", NA,
    "America/New_York", 40.764, -73.956, 6, 2 },
  { "centre-us-rst-mayo", "Mayo Clinic", "Rochester", "US", NA,
    "America/Chicago", 44.022, -92.467, 5, 2 },
  { "centre-us-hou-mda", "MD Anderson Cancer Center", "Houston", "US", NA,
    "America/Chicago", 29.707, -95.397, 5, 2 },
  { "centre-us-lax-ucla", "UCLA Ronald Reagan Medical Center", "Los Angeles", "US", NA,
    "America/Los_Angeles", 34.066, -118.446, 4, 2 },
  { "centre-us-sfo-ucsf", "UCSF Medical Center at Parnassus", "San Francisco", "US", NA,
    "America/Los_Angeles", 37.763, -122.458, 3, 0 },
  { "centre-us-bos-dfci", "Dana-Farber Cancer Institute", "Boston", "US", NA,
    "America/New_York", 42.338, -71.108, 3, 0 },
  { "centre-us-bal-jhh", "The Johns Hopkins Hospital", "Baltimore", "US", NA,
    "America/New_York", 39.296, -76.593, 3, 1 },
  { "centre-us-cle-cc", "Cleveland Clinic", "Cleveland", "US", NA,
    "America/New_York", 41.503, -81.621, 3, 0 },
  { "centre-ca-tor-pm", "Princess Margaret Cancer Centre", "Toronto", "CA", NA,
    "America/Toronto", 43.658, -79.390, 3, 0 },
  { "centre-ca-mtl-chum", "Centre hospitalier de l'Université de Montréal", "Montréal", "CA", NA,
    "America/Toronto", 45.511, -73.557, 2, 0 },
  { "centre-us-ind-iu", "IU Health Simon Cancer Center", "Indianapolis", "US", NA,
    "America/Indiana/Indianapolis", 39.778, -86.179, 3, 1 },
  { "centre-us-chi-nm", "Northwestern Memorial Hospital", "Chicago", "US", NA,
    "America/Chicago", 41.895, -87.621, 2, 0 },
  { "centre-us-stl-wu", "Siteman Cancer Center – Barnes-Jewish Hospital", "St. Louis", "US", NA,
    "America/Chicago", 38.635, -90.264, 2, 0 },
  { "centre-us-sea-fh", "Fred Hutchinson Cancer Center", "Seattle", "US", NA,
    "America/Los_Angeles", 47.627, -122.331, 2, 0 },
  { "centre-us-phl-penn", "Hospital of the University of Pennsylvania", "Philadelphia", "US", NA,
    "America/New_York", 39.950, -75.193, 3, 0 },
  { "centre-us-arb-um", "University of Michigan Health", "Ann Arbor", "US", NA,
    "America/Detroit", 42.284, -83.728, 2, 0 },
  { "centre-us-dal-utsw", "UT Southwestern Medical Center", "Dallas", "US", NA,
    "America/Chicago", 32.813, -96.840, 2, 0 },
  { "centre-us-den-uch", "UCHealth University of Colorado Hospital", "Aurora", "US", NA,
    "America/Denver", 39.744, -104.840, 2, 0 },
  { "centre-us-bna-vumc", "Vanderbilt University Medical Center", "Nashville", "US", NA,
    "America/Chicago", 36.142, -86.800, 2, 0 },
  { "centre-us-atl-emory", "Emory Winship Cancer Institute", "Atlanta", "US", NA,
    "America/New_York", 33.793, -84.321, 2, 0 },

  /* China: served from Chengdu and Shanghai */
  { "centre-cn-bjs-pumch", "Peking Union Medical College Hospital", "Beijing", "CN", CN,
    "Asia/Shanghai", 39.913, 116.416, 12, 0 },
  { "centre-cn-sha-fuscc", "Fudan University Shanghai Cancer Center", "Shanghai", "CN", CN,
    "Asia/Shanghai", 31.195, 121.447, 12, 0 },
  { "centre-cn-can-sysucc", "Sun Yat-sen University Cancer Center", "Guangzhou", "CN", CN,
    "Asia/Shanghai", 23.133, 113.290, 8, 0 },
  { "centre-cn-ctu-wch", "West China Hospital, Sichuan University", "Chengdu", "CN", CN,
    "Asia/Shanghai", 30.642, 104.063, 10, 0 },
  { "centre-cn-sha-rj", "Ruijin Hospital", "Shanghai", "CN", CN,
    "Asia/Shanghai", 31.212, 121.470, 8, 0 },
  { "centre-cn-sha-zs", "Zhongshan Hospital, Fudan University", "Shanghai", "CN", CN,
    "Asia/Shanghai", 31.201, 121.453, 8, 0 },
  { "centre-cn-bjs-cicams", "Cancer Hospital, Chinese Academy of Medical Sciences", "Beijing", "CN", CN,
    "Asia/Shanghai", 39.877, 116.456, 8, 0 },
  { "centre-cn-bjs-plagh", "Chinese PLA General Hospital", "Beijing", "CN", CN,
    "Asia/Shanghai", 39.907, 116.278, 6, 0 },
  { "centre-cn-hgh-zju1", "First Affiliated Hospital, Zhejiang University", "Hangzhou", "CN", CN,
    "Asia/Shanghai", 30.260, 120.178, 6, 0 },
  { "centre-cn-nkg-jsph", "Jiangsu Province Hospital", "Nanjing", "CN", CN,
    "Asia/Shanghai", 32.051, 118.770, 5, 0 },
  { "centre-cn-wuh-union", "Union Hospital, Tongji Medical College", "Wuhan", "CN", CN,
    "Asia/Shanghai", 30.584, 114.280, 5, 0 },
  { "centre-cn-ckg-cqmu1", "First Affiliated Hospital of Chongqing Medical University", "Chongqing", "CN", CN,
    "Asia/Shanghai", 29.541, 106.508, 4, 0 },
  { "centre-cn-xiy-xjtu1", "First Affiliated Hospital of Xi'an Jiaotong University", "Xi'an", "CN", CN,
    "Asia/Shanghai", 34.219, 108.935, 4, 0 },
  { "centre-cn-tsn-tjmuch", "Tianjin Medical University Cancer Institute and Hospital", "Tianjin", "CN", CN,
    "Asia/Shanghai", 39.096, 117.162, 3, 0 },
  { "centre-cn-szx-pkush", "Peking University Shenzhen Hospital", "Shenzhen", "CN", CN,
    "Asia/Shanghai", 22.558, 114.047, 3, 0 },
};
const guint bq_demo_n_centres = G_N_ELEMENTS (bq_demo_centres);

const BqDemoHub bq_demo_hubs[] = {
  { "AMS", "Amsterdam Schiphol", EU, "Europe/Amsterdam", 52.310, 4.768 },
  { "BRU", "Brussels Airport", EU, "Europe/Brussels", 50.901, 4.484 },
  { "FRA", "Frankfurt am Main", EU, "Europe/Berlin", 50.038, 8.562 },
  { "MUC", "Munich", EU, "Europe/Berlin", 48.354, 11.775 },
  { "BER", "Berlin Brandenburg", EU, "Europe/Berlin", 52.367, 13.503 },
  { "CDG", "Paris Charles de Gaulle", EU, "Europe/Paris", 49.010, 2.548 },
  { "LYS", "Lyon–Saint-Exupéry", EU, "Europe/Paris", 45.726, 5.081 },
  { "LHR", "London Heathrow", EU, "Europe/London", 51.470, -0.454 },
  { "MAN", "Manchester", EU, "Europe/London", 53.354, -2.275 },
  { "CPH", "Copenhagen Kastrup", EU, "Europe/Copenhagen", 55.618, 12.651 },
  { "ARN", "Stockholm Arlanda", EU, "Europe/Stockholm", 59.650, 17.924 },
  { "OSL", "Oslo Gardermoen", EU, "Europe/Oslo", 60.198, 11.100 },
  { "MAD", "Madrid–Barajas", EU, "Europe/Madrid", 40.498, -3.568 },
  { "BCN", "Barcelona–El Prat", EU, "Europe/Madrid", 41.297, 2.083 },
  { "FCO", "Rome Fiumicino", EU, "Europe/Rome", 41.800, 12.239 },
  { "MXP", "Milan Malpensa", EU, "Europe/Rome", 45.630, 8.726 },
  { "VIE", "Vienna International", EU, "Europe/Vienna", 48.110, 16.570 },
  { "ZRH", "Zurich", EU, "Europe/Zurich", 47.458, 8.556 },

  { "IND", "Indianapolis International", NA, "America/Indiana/Indianapolis", 39.717, -86.294 },
  { "ORD", "Chicago O'Hare", NA, "America/Chicago", 41.974, -87.907 },
  { "JFK", "New York John F. Kennedy", NA, "America/New_York", 40.641, -73.778 },
  { "BOS", "Boston Logan", NA, "America/New_York", 42.366, -71.010 },
  { "BWI", "Baltimore/Washington International", NA, "America/New_York", 39.175, -76.668 },
  { "PHL", "Philadelphia International", NA, "America/New_York", 39.874, -75.242 },
  { "ATL", "Atlanta Hartsfield–Jackson", NA, "America/New_York", 33.641, -84.428 },
  { "MSP", "Minneapolis–Saint Paul", NA, "America/Chicago", 44.885, -93.222 },
  { "IAH", "Houston George Bush Intercontinental", NA, "America/Chicago", 29.990, -95.337 },
  { "DFW", "Dallas/Fort Worth", NA, "America/Chicago", 32.900, -97.040 },
  { "DEN", "Denver International", NA, "America/Denver", 39.856, -104.674 },
  { "LAX", "Los Angeles International", NA, "America/Los_Angeles", 33.942, -118.409 },
  { "SFO", "San Francisco International", NA, "America/Los_Angeles", 37.621, -122.379 },
  { "SEA", "Seattle–Tacoma", NA, "America/Los_Angeles", 47.450, -122.309 },
  { "YYZ", "Toronto Pearson", NA, "America/Toronto", 43.678, -79.625 },
  { "YUL", "Montréal–Trudeau", NA, "America/Toronto", 45.471, -73.741 },

  { "PVG", "Shanghai Pudong", CN, "Asia/Shanghai", 31.144, 121.808 },
  { "PEK", "Beijing Capital", CN, "Asia/Shanghai", 40.080, 116.603 },
  { "CAN", "Guangzhou Baiyun", CN, "Asia/Shanghai", 23.392, 113.299 },
  { "SZX", "Shenzhen Bao'an", CN, "Asia/Shanghai", 22.639, 113.811 },
  { "CTU", "Chengdu Shuangliu", CN, "Asia/Shanghai", 30.579, 103.947 },
  { "CKG", "Chongqing Jiangbei", CN, "Asia/Shanghai", 29.719, 106.642 },
  { "XIY", "Xi'an Xianyang", CN, "Asia/Shanghai", 34.447, 108.752 },
  { "WUH", "Wuhan Tianhe", CN, "Asia/Shanghai", 30.784, 114.208 },
};
const guint bq_demo_n_hubs = G_N_ELEMENTS (bq_demo_hubs);

#define HM(h, m) ((h) * 60 + (m))
#define DAILY    0x7f
#define MON_FRI  0x1f
#define TUE_SAT  0x3e   /* the nights after Monday to Friday */

/* Each site's airport has an afternoon departure for the first run of the
 * day and, on the busier routes, an evening or overnight one for the
 * second.  A few services do not take Class 7 goods, so the router has
 * something to refuse. */
const BqDemoFlight bq_demo_flights[] = {
  /* Amsterdam to Europe */
  { "AMS", "FRA", "KLM", "KL 1761", MON_FRI, HM (14, 45), TRUE },
  { "AMS", "MUC", "KLM", "KL 1795", DAILY, HM (15, 25), TRUE },
  { "AMS", "MUC", "Lufthansa", "LH 2301", MON_FRI, HM (20, 10), TRUE },
  { "AMS", "BER", "KLM", "KL 1775", DAILY, HM (15, 10), TRUE },
  { "AMS", "CDG", "KLM", "KL 1243", DAILY, HM (14, 20), TRUE },
  { "AMS", "CDG", "Air France", "AF 1641", DAILY, HM (20, 40), FALSE },
  { "AMS", "LYS", "KLM", "KL 1413", MON_FRI, HM (15, 5), TRUE },
  { "AMS", "LHR", "KLM", "KL 1007", DAILY, HM (14, 30), TRUE },
  { "AMS", "LHR", "British Airways", "BA 433", DAILY, HM (20, 5), FALSE },
  { "AMS", "MAN", "KLM", "KL 1085", MON_FRI, HM (15, 15), TRUE },
  { "AMS", "CPH", "KLM", "KL 1129", DAILY, HM (15, 40), TRUE },
  { "AMS", "CPH", "SAS", "SK 552", MON_FRI, HM (20, 30), TRUE },
  { "AMS", "ARN", "KLM", "KL 1109", DAILY, HM (14, 55), TRUE },
  { "AMS", "OSL", "KLM", "KL 1151", MON_FRI, HM (15, 35), TRUE },
  { "AMS", "MAD", "KLM", "KL 1701", DAILY, HM (14, 40), TRUE },
  { "AMS", "MAD", "Iberia", "IB 3705", MON_FRI, HM (20, 20), FALSE },
  { "AMS", "BCN", "KLM", "KL 1669", DAILY, HM (15, 20), TRUE },
  { "AMS", "BCN", "Vueling", "VY 8316", DAILY, HM (20, 55), FALSE },
  { "AMS", "FCO", "KLM", "KL 1601", DAILY, HM (14, 50), TRUE },
  { "AMS", "FCO", "ITA Airways", "AZ 115", MON_FRI, HM (20, 15), TRUE },
  { "AMS", "MXP", "KLM", "KL 1623", MON_FRI, HM (15, 30), TRUE },
  { "AMS", "VIE", "KLM", "KL 1841", DAILY, HM (15, 0), TRUE },
  { "AMS", "VIE", "Austrian Airlines", "OS 374", MON_FRI, HM (20, 25), TRUE },
  { "AMS", "ZRH", "KLM", "KL 1957", DAILY, HM (14, 35), TRUE },
  { "AMS", "ZRH", "Swiss", "LX 729", MON_FRI, HM (20, 0), TRUE },

  /* Across the Atlantic, both ways: Ac-225 lasts long enough to fly */
  { "AMS", "JFK", "KLM", "KL 643", DAILY, HM (12, 50), TRUE },
  { "AMS", "ORD", "KLM", "KL 611", DAILY, HM (13, 5), TRUE },
  { "AMS", "BOS", "Delta", "DL 167", DAILY, HM (12, 40), FALSE },
  { "AMS", "YYZ", "KLM", "KL 691", DAILY, HM (13, 20), TRUE },
  { "JFK", "AMS", "Delta", "DL 48", DAILY, HM (18, 30), TRUE },
  { "ORD", "AMS", "United", "UA 970", DAILY, HM (17, 50), TRUE },

  /* Indianapolis to North America: passenger flights by day, the FedEx
   * hub by night */
  { "IND", "ORD", "United", "UA 4430", DAILY, HM (13, 40), TRUE },
  { "IND", "JFK", "Delta", "DL 5844", MON_FRI, HM (14, 10), TRUE },
  { "IND", "JFK", "FedEx Express", "FX 1406", TUE_SAT, HM (3, 10), TRUE },
  { "IND", "BOS", "Delta", "DL 2390", MON_FRI, HM (13, 50), TRUE },
  { "IND", "BOS", "FedEx Express", "FX 1410", TUE_SAT, HM (3, 0), TRUE },
  { "IND", "BWI", "Southwest", "WN 1843", DAILY, HM (14, 35), FALSE },
  { "IND", "BWI", "FedEx Express", "FX 1420", TUE_SAT, HM (3, 30), TRUE },
  { "IND", "PHL", "American", "AA 4580", MON_FRI, HM (14, 50), TRUE },
  { "IND", "ATL", "Delta", "DL 1472", DAILY, HM (14, 25), TRUE },
  { "IND", "MSP", "Delta", "DL 1611", MON_FRI, HM (14, 5), TRUE },
  { "IND", "IAH", "United", "UA 5630", MON_FRI, HM (15, 10), TRUE },
  { "IND", "IAH", "FedEx Express", "FX 1505", TUE_SAT, HM (3, 20), TRUE },
  { "IND", "DFW", "American", "AA 2412", DAILY, HM (13, 35), TRUE },
  { "IND", "DEN", "Southwest", "WN 2105", DAILY, HM (14, 45), FALSE },
  { "IND", "DEN", "United", "UA 1921", MON_FRI, HM (16, 20), TRUE },
  { "IND", "LAX", "American", "AA 1903", MON_FRI, HM (15, 40), TRUE },
  { "IND", "LAX", "FedEx Express", "FX 1603", TUE_SAT, HM (3, 40), TRUE },
  { "IND", "SFO", "United", "UA 2231", MON_FRI, HM (15, 55), TRUE },
  { "IND", "SFO", "FedEx Express", "FX 1611", TUE_SAT, HM (3, 50), TRUE },
  { "IND", "SEA", "Alaska Airlines", "AS 1301", MON_FRI, HM (16, 10), TRUE },
  { "IND", "YYZ", "Air Canada", "AC 8770", MON_FRI, HM (15, 30), TRUE },
  { "IND", "YUL", "Air Canada", "AC 8982", MON_FRI, HM (14, 15), TRUE },

  /* Shanghai Pudong to China */
  { "PVG", "PEK", "China Eastern", "MU 5101", DAILY, HM (14, 0), TRUE },
  { "PVG", "PEK", "Air China", "CA 1858", DAILY, HM (20, 30), TRUE },
  { "PVG", "CAN", "China Eastern", "MU 5301", DAILY, HM (14, 30), TRUE },
  { "PVG", "CAN", "China Southern", "CZ 3548", DAILY, HM (20, 45), TRUE },
  { "PVG", "SZX", "China Eastern", "MU 5331", DAILY, HM (15, 0), TRUE },
  { "PVG", "CTU", "China Eastern", "MU 5401", DAILY, HM (14, 20), TRUE },
  { "PVG", "CTU", "Juneyao Air", "HO 1081", DAILY, HM (20, 10), FALSE },
  { "PVG", "CKG", "China Eastern", "MU 5433", DAILY, HM (15, 10), TRUE },
  { "PVG", "XIY", "China Eastern", "MU 2158", DAILY, HM (14, 50), TRUE },
  { "PVG", "WUH", "China Eastern", "MU 2502", DAILY, HM (15, 25), TRUE },

  /* Chengdu Shuangliu to China */
  { "CTU", "PEK", "Air China", "CA 4108", DAILY, HM (14, 0), TRUE },
  { "CTU", "PEK", "Sichuan Airlines", "3U 8887", DAILY, HM (20, 20), FALSE },
  { "CTU", "CAN", "China Southern", "CZ 3404", DAILY, HM (14, 40), TRUE },
  { "CTU", "SZX", "Shenzhen Airlines", "ZH 9404", DAILY, HM (15, 5), TRUE },
  { "CTU", "PVG", "China Eastern", "MU 5402", DAILY, HM (14, 25), TRUE },
  { "CTU", "PVG", "Sichuan Airlines", "3U 8961", DAILY, HM (20, 5), TRUE },
  { "CTU", "XIY", "Sichuan Airlines", "3U 8631", DAILY, HM (15, 20), TRUE },
  { "CTU", "WUH", "Sichuan Airlines", "3U 8741", DAILY, HM (15, 35), TRUE },
};
const guint bq_demo_n_flights = G_N_ELEMENTS (bq_demo_flights);

const BqDemoCourier bq_demo_couriers[] = {
  { EU, "Halflife Couriers Europe" },
  { NA, "Curie Express Logistics" },
  { CN, "Huaxin Radiopharma Logistics" },
};
const guint bq_demo_n_couriers = G_N_ELEMENTS (bq_demo_couriers);
